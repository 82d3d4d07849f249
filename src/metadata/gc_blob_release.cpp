#include "metadata/gc_blob_release.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "base/status.h"

namespace berth::metadata {

absl::Status ReleaseBlobs(ContentStore& content, std::vector<gc::Removal>& blobs, int threads,
                          const std::function<void(gc::Removal& blob, bool deleted)>& released) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;  // serializes `released` and guards `error`
  absl::Status error;
  auto work = [&] {
    for (size_t i = next++; i < blobs.size() && !failed; i = next++) {
      absl::StatusOr<bool> deleted = [&]() -> absl::StatusOr<bool> {
        ASSIGN_OR_RETURN(Digest digest, Digest::Parse(blobs[i].node.key));
        return content.ReleaseBlob(digest);
      }();
      std::lock_guard lock(mu);
      if (!deleted.ok()) {
        if (error.ok()) error = deleted.status();
        failed = true;
        return;
      }
      if (released) released(blobs[i], *deleted);
    }
  };
  const size_t pool_size = std::min<size_t>(std::max(threads, 1), std::max<size_t>(blobs.size(), 1));
  {
    std::vector<std::jthread> pool;
    for (size_t t = 1; t < pool_size; ++t) pool.emplace_back(work);
    work();
  }  // joins
  return error;
}

}  // namespace berth::metadata
