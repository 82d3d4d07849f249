// Where LocalStore keeps things on disk, and the record of an ingest in progress.
//
// Layout, version 1, under the store's root (every directory 0700):
//   blobs/sha256/<hex>              committed blobs, read-only (0444); only ever created by a
//   rename of a
//                                   verified, fsynced data file, so nothing partial or unverified
//                                   is visible here
//   ingest/<sha256 hex of the ref>/ one directory per ingest in progress; refs are arbitrary client
//   strings, so
//                                   they are hashed and never used as path parts
//     data                          the bytes received so far: its size is the offset, its mtime
//     the updated time meta                          written once when the ingest starts (through
//     meta.tmp and a rename):
//                                     berth-ingest v1
//                                     total <bytes, 0 if unknown>
//                                     expected <digest>        (only if one was given)
//                                     startedat <unix nanoseconds>
//                                     ref <the ref, raw, to the end of the file>
// An ingest directory without both files is debris of a crash (while starting, or after a commit's
// rename and before the directory was removed); Open removes it, together with stray *.tmp files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/content/content.h"
#include "digest/digest.h"
#include "plugins/content/local/fs.h"

namespace berth::content {

struct IngestMeta {
  std::string ref;
  int64_t total = 0;
  std::optional<Digest> expected;
  absl::Time started_at;
};

std::string EncodeIngestMeta(const IngestMeta& meta);
// InvalidArgument if `text` is not a version 1 meta file.
absl::StatusOr<IngestMeta> DecodeIngestMeta(std::string_view text);

class Layout {
 public:
  explicit Layout(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string BlobsDir() const;
  std::string BlobPath(const Digest& digest) const;
  std::string IngestsDir() const;
  std::string IngestDir(std::string_view ref) const;

  static std::string DataPath(const std::string& ingest_dir) {
    return JoinPath(ingest_dir, "data");
  }
  static std::string MetaPath(const std::string& ingest_dir) {
    return JoinPath(ingest_dir, "meta");
  }

 private:
  std::string root_;
};

// The largest meta file accepted (a ref can be long, but not unbounded).
inline constexpr size_t kMaxMetaBytes = 64 * 1024;

// InvalidArgument if the meta is not well-formed or names a ref that does not hash to
// `ingest_dir`'s name.
absl::StatusOr<IngestMeta> ReadIngestMeta(Fs& fs, const std::string& ingest_dir);
// The status of the ingest in `ingest_dir` as disk has it: NotFound if the directory holds no
// complete ingest.
absl::StatusOr<Status> ReadIngestStatus(Fs& fs, const std::string& ingest_dir);

}  // namespace berth::content
