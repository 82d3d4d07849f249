#include "plugins/diff/hashing_pipe.h"

#include <cstring>

#include "base/status.h"

namespace berth::diff {

HashingPipe::HashingPipe(std::unique_ptr<ByteReader> source) : source_(std::move(source)) {
  thread_ = std::thread([this] { Produce(); });
}

HashingPipe::~HashingPipe() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void HashingPipe::Produce() {
  absl::Status status;
  while (true) {
    std::string chunk(kChunk, '\0');
    auto n = source_->Read(std::span<char>(chunk.data(), chunk.size()));
    if (!n.ok()) {
      status = n.status();
      break;
    }
    if (*n == 0) break;
    chunk.resize(*n);
    sha_.Update(chunk);
    size_ += static_cast<int64_t>(*n);
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return stop_ || queue_.size() < kMaxQueued; });
    if (stop_) break;
    queue_.push_back(std::move(chunk));
    cv_.notify_all();
  }
  source_.reset();  // closes the blob reader on this thread, before the consumer sees done_
  std::lock_guard lock(mu_);
  status_ = status;
  done_ = true;
  cv_.notify_all();
}

absl::StatusOr<size_t> HashingPipe::Read(std::span<char> buf) {
  if (current_pos_ == current_.size()) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_ || !queue_.empty(); });
    if (queue_.empty()) {
      if (!status_.ok()) return status_;
      return 0;
    }
    current_ = std::move(queue_.front());
    queue_.pop_front();
    current_pos_ = 0;
    cv_.notify_all();
  }
  size_t n = std::min(buf.size(), current_.size() - current_pos_);
  std::memcpy(buf.data(), current_.data() + current_pos_, n);
  current_pos_ += n;
  return n;
}

absl::StatusOr<HashingPipe::Result> HashingPipe::Finish() {
  std::string sink(kChunk, '\0');
  while (true) {
    ASSIGN_OR_RETURN(size_t n, Read(std::span<char>(sink.data(), sink.size())));
    if (n == 0) break;
  }
  // done_ is set and the producer no longer touches sha_/size_.
  std::lock_guard lock(mu_);
  return Result{sha_.Finish(), size_};
}

}  // namespace berth::diff
