// Streams one blob from a registry into a content ingest and hands the same bytes to its consumer (the layer
// unpacker, or Drain for a plain download): one pass over the network bytes. Transient failures (reset, timeout,
// 429/5xx, premature EOF) reopen the blob at the current offset with HTTP Range after a backoff with full jitter;
// the retry budget restarts whenever bytes arrive. The digest is verified by the ingest's Commit.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "base/context.h"
#include "core/content/content.h"
#include "oci/descriptor.h"
#include "plugins/diff/byte_reader.h"
#include "plugins/remotes/registry.h"
#include "plugins/remotes/retry.h"

namespace berth::transfer {

struct BlobFetcherOptions {
  remotes::RetryPolicy retry;
  remotes::RequestOptions request;
  std::function<void(int64_t bytes)> on_bytes;                // after each chunk is in the ingest
  std::function<void(const std::string& reason)> on_retry;  // before each backoff
};

class BlobFetcher final : public diff::ByteReader {
 public:
  // `writer` (not owned) holds `offset` bytes of the blob already (a resumed ingest); the consumer then only
  // sees the bytes from `offset` on, so only a plain download (Drain) may start past 0.
  BlobFetcher(const Context& ctx, remotes::Registry* registry, remotes::Reference ref, oci::Descriptor desc,
              content::Writer* writer, int64_t offset, BlobFetcherOptions opts);

  absl::StatusOr<size_t> Read(std::span<char> buf) override;
  // Reads the rest of the blob into the ingest (what the consumer left: the end of a compressed stream).
  absl::Status Drain();
  int64_t offset() const { return offset_; }

 private:
  absl::Status Open();
  // One read from the current connection (opened if needed); the end before the blob's size is an error.
  absl::StatusOr<size_t> ReadSome(std::span<char> buf);
  // Reads and drops `n` bytes: a server that ignored Range replays the blob from 0.
  absl::Status Skip(int64_t n);

  const Context& ctx_;
  remotes::Registry* registry_;
  remotes::Reference ref_;
  oci::Descriptor desc_;
  content::Writer* writer_;
  int64_t offset_;
  BlobFetcherOptions opts_;
  std::unique_ptr<remotes::BlobReader> stream_;
  int failures_ = 0;  // consecutive failures without a byte in between
};

}  // namespace berth::transfer
