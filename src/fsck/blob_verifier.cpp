#include "fsck/blob_verifier.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "digest/digest.h"

namespace berth::fsck {

std::optional<BlobFault> VerifyBlob(content::Store& store, const content::Info& info) {
  BlobFault fault{.info = info};
  absl::StatusOr<std::unique_ptr<content::Reader>> reader = store.OpenReader(Context{}, info.digest);
  if (!reader.ok()) {
    fault.error = std::string(reader.status().message());
    return fault;
  }
  Sha256 hash;
  std::string buf(1 << 20, '\0');
  int64_t offset = 0;
  while (true) {
    absl::StatusOr<size_t> n = (*reader)->ReadAt(offset, std::span<char>(buf.data(), buf.size()));
    if (!n.ok()) {
      fault.error = std::string(n.status().message());
      fault.actual_size = offset;
      return fault;
    }
    if (*n == 0) break;
    hash.Update(buf.data(), *n);
    offset += static_cast<int64_t>(*n);
  }
  fault.actual_size = offset;
  fault.actual_digest = hash.Finish().str();
  if (fault.actual_digest == info.digest.str() && offset == info.size) return std::nullopt;
  return fault;
}

absl::StatusOr<std::vector<BlobFault>> VerifyBlobs(content::Store& store, const std::vector<content::Info>& blobs,
                                                   int threads, const std::function<void(int64_t done)>& done) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  int64_t finished = 0;
  std::vector<BlobFault> faults;
  auto work = [&] {
    for (size_t i = next++; i < blobs.size(); i = next++) {
      std::optional<BlobFault> fault = VerifyBlob(store, blobs[i]);
      std::lock_guard lock(mu);
      if (fault) faults.push_back(std::move(*fault));
      if (done) done(++finished);
    }
  };
  std::vector<std::jthread> pool;
  for (int t = 1; t < std::max(threads, 1); ++t) pool.emplace_back(work);
  work();
  pool.clear();  // joins
  std::sort(faults.begin(), faults.end(),
            [](const BlobFault& a, const BlobFault& b) { return a.info.digest.str() < b.info.digest.str(); });
  return faults;
}

}  // namespace berth::fsck
