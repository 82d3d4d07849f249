// The client side of a task's stdio, as ctr's cio: FIFOs in a fresh 0700 directory that the shim opens, and
// threads that copy between them and this process's stdin/stdout/stderr. Every wait is bounded.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace berth::cli {

class Stdio {
 public:
  // FIFOs for stdout, (without a terminal) stderr and (with_stdin) stdin. Made and opened before the task is
  // created, so the shim finds them ready. Paths not used are empty.
  static absl::StatusOr<std::unique_ptr<Stdio>> Create(const std::string& name, bool terminal, bool with_stdin);
  ~Stdio();  // stops the copiers and removes the FIFOs

  const std::string& stdin_path() const { return stdin_path_; }
  const std::string& stdout_path() const { return stdout_path_; }
  const std::string& stderr_path() const { return stderr_path_; }

  // Starts copying; `on_stdin_eof` runs once our stdin ends (the caller sends CloseIO).
  void Start(std::function<void()> on_stdin_eof);
  // The process has exited: waits (at most `timeout`) until the shim has closed the output FIFOs.
  void Finish(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  Stdio() = default;
  void CopyOut(int from, int to);
  void CopyIn(std::function<void()> on_eof);

  std::string dir_, stdin_path_, stdout_path_, stderr_path_;
  int stdin_fd_ = -1, stdout_fd_ = -1, stderr_fd_ = -1, stop_fd_ = -1;
  std::atomic<bool> stopping_ = false;
  std::atomic<int64_t> deadline_ms_ = 0;  // set by Finish: copiers give up after it
  std::thread in_, out_, err_;
};

}  // namespace berth::cli
