// The sink end of Diff: hashes the tar (the diff_id), compresses it, and appends it to a content Writer.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/content/content.h"
#include "digest/digest.h"
#include "plugins/diff/decompress.h"

namespace berth::diff {

class CompressWriter {
 public:
  // `c` is kNone, kGzip or kZstd. `out` is not owned.
  static absl::StatusOr<std::unique_ptr<CompressWriter>> Open(Compression c, content::Writer* out);
  virtual ~CompressWriter() = default;

  absl::Status Write(std::string_view tar_bytes);
  // Flushes the compressor; returns the digest of the uncompressed bytes.
  absl::StatusOr<Digest> Finish();

 protected:
  explicit CompressWriter(content::Writer* out) : out_(out) {}
  // Compresses `in` (`end`: the last call) into out_ via Emit.
  virtual absl::Status Compress(std::string_view in, bool end) = 0;
  absl::Status Emit(std::string_view compressed);

 private:
  content::Writer* out_;
  Sha256 sha_;
  std::string pending_;  // compressed bytes not yet handed to the content writer
};

}  // namespace berth::diff
