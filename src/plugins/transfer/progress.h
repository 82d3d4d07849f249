// What a pull is doing, layer by layer, for progress bars: written by the pull's threads, read by whoever
// reports it (the Pull service polls Snapshot()).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace berth::transfer {

enum class BlobState {
  kWaiting,      // queued behind other downloads
  kDownloading,  // bytes arriving (and, for layers, being unpacked as they arrive)
  kWaitingPeer,  // another pull is fetching this blob; waiting for it
  kUnpacking,    // downloaded; unpacking from the content store or committing
  kDone,         // fetched (and unpacked)
  kExists,       // already stored and unpacked: nothing to do
  kFailed,
};

const char* BlobStateName(BlobState s);

struct BlobProgress {
  std::string digest;
  std::string kind;  // "index", "manifest", "config", "layer"
  int64_t total = 0;
  int64_t done = 0;  // bytes fetched (or already there)
  BlobState state = BlobState::kWaiting;
};

class PullProgress {
 public:
  // Returns the blob's slot, adding it if new.
  size_t Add(std::string digest, std::string kind, int64_t total) {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < blobs_.size(); ++i) {
      if (blobs_[i].digest == digest) return i;
    }
    blobs_.push_back({.digest = std::move(digest), .kind = std::move(kind), .total = total});
    return blobs_.size() - 1;
  }
  void SetState(size_t slot, BlobState state) {
    std::lock_guard<std::mutex> lock(mu_);
    blobs_[slot].state = state;
    if (state == BlobState::kDone || state == BlobState::kExists) blobs_[slot].done = blobs_[slot].total;
  }
  void AddBytes(size_t slot, int64_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    blobs_[slot].done += n;
  }
  void SetBytes(size_t slot, int64_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    blobs_[slot].done = n;
  }
  std::vector<BlobProgress> Snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    return blobs_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<BlobProgress> blobs_;
};

inline const char* BlobStateName(BlobState s) {
  switch (s) {
    case BlobState::kWaiting: return "waiting";
    case BlobState::kDownloading: return "downloading";
    case BlobState::kWaitingPeer: return "waiting for another pull";
    case BlobState::kUnpacking: return "unpacking";
    case BlobState::kDone: return "done";
    case BlobState::kExists: return "exists";
    case BlobState::kFailed: return "failed";
  }
  return "?";
}

}  // namespace berth::transfer
