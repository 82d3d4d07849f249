// Runs a byte source (blob read + decompression) on its own thread, hashing and counting what it yields, and
// hands the bytes to the consumer (tar parse + extraction) through a small bounded queue: on two cores the
// inflate/sha256 side and the file-creation side overlap instead of taking turns.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "digest/digest.h"
#include "plugins/diff/byte_reader.h"

namespace berth::diff {

class HashingPipe final : public ByteReader {
 public:
  struct Result {
    Digest digest;  // sha256 of every byte the source produced
    int64_t size = 0;
  };

  // Starts the producer thread over `source`, which it owns and destroys on that thread's exit.
  explicit HashingPipe(std::unique_ptr<ByteReader> source);
  // Stops and joins the producer; safe at any point (an abandoned apply does not leak the thread).
  ~HashingPipe() override;
  HashingPipe(const HashingPipe&) = delete;
  HashingPipe& operator=(const HashingPipe&) = delete;

  absl::StatusOr<size_t> Read(std::span<char> buf) override;
  // Reads (and hashes) whatever the consumer left unread — tar padding after the end-of-archive blocks counts
  // towards the diff_id, as in containerd — and returns the digest and size of the whole stream.
  absl::StatusOr<Result> Finish();

 private:
  void Produce();

  static constexpr size_t kChunk = 1 << 20;
  static constexpr size_t kMaxQueued = 8;

  std::unique_ptr<ByteReader> source_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool done_ = false;    // the producer has queued its last chunk
  bool stop_ = false;    // the consumer has gone away
  absl::Status status_;  // the producer's error, if any
  Sha256 sha_;           // producer thread only, until done_
  int64_t size_ = 0;     // likewise

  std::string current_;  // consumer side
  size_t current_pos_ = 0;
  std::thread thread_;
};

}  // namespace berth::diff
