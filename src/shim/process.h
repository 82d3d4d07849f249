// One process of the task (the container's init, or an exec) and its lifecycle:
//
//   (new) --created(pid)--> Created --started--> Running <--pause/resume--> Paused
//     every state --exited(status)--> Stopped      (an exit may arrive before Start has returned)
//
// Illegal transitions are answered FailedPrecondition. Thread-safe; Wait blocks until Stopped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "shim/console_socket.h"
#include "shim/process_io.h"
#include "shim/task_api.h"

namespace berth::shim {

class Process {
 public:
  // exec_id "" = the container's init process.
  Process(std::string container_id, std::string exec_id, Stdio stdio)
      : container_id_(std::move(container_id)), exec_id_(std::move(exec_id)), stdio_(std::move(stdio)) {}

  const std::string& exec_id() const { return exec_id_; }
  bool is_init() const { return exec_id_.empty(); }
  // The name events and errors use: the container id for init, the exec id otherwise.
  const std::string& name() const { return is_init() ? container_id_ : exec_id_; }
  const Stdio& stdio() const { return stdio_; }

  pid_t pid();
  TaskStatus status();
  bool exited() { return status() == TaskStatus::kStopped; }

  absl::Status MarkCreated(pid_t pid);
  absl::Status MarkStarted();
  absl::Status MarkPaused(bool paused);
  // Records the exit; returns false if it was already recorded.
  bool MarkExited(uint32_t exit_status, Timestamp at);

  // Blocks until the process has exited, the deadline passes (DeadlineExceeded) or Abort() is called.
  absl::Status Wait(std::optional<std::chrono::steady_clock::time_point> deadline);
  void Abort();  // wakes waiters at shutdown

  uint32_t exit_status();
  Timestamp exited_at();
  StateResponse State();

  // Owned here so stdio lives exactly as long as the process record.
  std::unique_ptr<ProcessIo> io;
  std::string exec_spec_json;  // exec processes: the OCI Process, until Start runs it

 private:
  const std::string container_id_, exec_id_;
  const Stdio stdio_;
  std::mutex mu_;
  std::condition_variable cv_;
  pid_t pid_ = 0;
  TaskStatus status_ = TaskStatus::kUnknown;
  uint32_t exit_status_ = 0;
  Timestamp exited_at_;
  bool aborted_ = false;
};

}  // namespace berth::shim
