#include "fsck/blob_verifier.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "digest/digest.h"

namespace berth::fsck {

namespace {

// Large enough that a read costs little next to hashing it, small enough to stay in L2 between the copy
// from the page cache and the hash.
constexpr size_t kReadSize = 256 << 10;

// `buf` is the calling thread's: zeroing a fresh 1 MiB buffer per blob cost more than hashing a small blob.
std::optional<BlobFault> VerifyBlobWith(content::Store& store, const content::Info& info, std::span<char> buf) {
  BlobFault fault{.info = info};
  absl::StatusOr<std::unique_ptr<content::Reader>> reader = store.OpenReader(Context{}, info.digest);
  if (!reader.ok()) {
    fault.error = std::string(reader.status().message());
    return fault;
  }
  Sha256 hash;
  int64_t offset = 0;
  while (true) {
    absl::StatusOr<size_t> n = (*reader)->ReadAt(offset, buf);
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

}  // namespace

std::optional<BlobFault> VerifyBlob(content::Store& store, const content::Info& info) {
  std::vector<char> buf(kReadSize);
  return VerifyBlobWith(store, info, buf);
}

absl::StatusOr<std::vector<BlobFault>> VerifyBlobs(content::Store& store, const std::vector<content::Info>& blobs,
                                                   int threads, const std::function<void(int64_t done)>& done) {
  // Largest first: the threads then run out of work at nearly the same time (a big blob taken last would
  // leave one core idle while the other hashes it).
  std::vector<size_t> order(blobs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return blobs[a].size > blobs[b].size; });
  std::atomic<size_t> next{0};
  std::mutex mu;
  int64_t finished = 0;
  std::vector<BlobFault> faults;
  auto work = [&] {
    std::vector<char> buf(kReadSize);
    for (size_t i = next++; i < order.size(); i = next++) {
      std::optional<BlobFault> fault = VerifyBlobWith(store, blobs[order[i]], buf);
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
