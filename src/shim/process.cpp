#include "shim/process.h"

#include <utility>

#include "fmt/format.h"

namespace berth::shim {
namespace {
const char* Name(TaskStatus s) {
  switch (s) {
    case TaskStatus::kCreated: return "created";
    case TaskStatus::kRunning: return "running";
    case TaskStatus::kStopped: return "stopped";
    case TaskStatus::kPaused: return "paused";
    case TaskStatus::kPausing: return "pausing";
    default: return "unknown";
  }
}
}  // namespace

pid_t Process::pid() {
  std::lock_guard lock(mu_);
  return pid_;
}

TaskStatus Process::status() {
  std::lock_guard lock(mu_);
  return status_;
}

uint32_t Process::exit_status() {
  std::lock_guard lock(mu_);
  return exit_status_;
}

Timestamp Process::exited_at() {
  std::lock_guard lock(mu_);
  return exited_at_;
}

absl::Status Process::MarkCreated(pid_t pid) {
  std::lock_guard lock(mu_);
  if (status_ != TaskStatus::kUnknown) {
    return absl::FailedPreconditionError(fmt::format("process {} is already {}", name(), Name(status_)));
  }
  pid_ = pid;
  status_ = TaskStatus::kCreated;
  return absl::OkStatus();
}

absl::Status Process::MarkStarted() {
  std::lock_guard lock(mu_);
  if (status_ == TaskStatus::kStopped) return absl::OkStatus();  // it already ran to completion
  if (status_ != TaskStatus::kCreated) {
    return absl::FailedPreconditionError(fmt::format("cannot start process {}: it is {}", name(), Name(status_)));
  }
  status_ = TaskStatus::kRunning;
  return absl::OkStatus();
}

absl::Status Process::MarkPaused(bool paused) {
  std::lock_guard lock(mu_);
  TaskStatus want = paused ? TaskStatus::kRunning : TaskStatus::kPaused;
  if (status_ != want) {
    return absl::FailedPreconditionError(
        fmt::format("cannot {} process {}: it is {}", paused ? "pause" : "resume", name(), Name(status_)));
  }
  status_ = paused ? TaskStatus::kPaused : TaskStatus::kRunning;
  return absl::OkStatus();
}

bool Process::MarkExited(uint32_t exit_status, Timestamp at) {
  std::lock_guard lock(mu_);
  if (status_ == TaskStatus::kStopped) return false;
  status_ = TaskStatus::kStopped;
  exit_status_ = exit_status;
  exited_at_ = at;
  cv_.notify_all();
  return true;
}

absl::Status Process::BeginStart() {
  std::lock_guard lock(mu_);
  if (starting_) return absl::FailedPreconditionError(fmt::format("process {} is already being started", name()));
  starting_ = true;
  holding_exits_ = true;
  return absl::OkStatus();
}

std::optional<Process::HeldExit> Process::EndStart() {
  std::lock_guard lock(mu_);
  starting_ = false;
  holding_exits_ = false;
  return std::exchange(held_exit_, std::nullopt);
}

bool Process::HoldExit(int wait_status, Timestamp at) {
  std::lock_guard lock(mu_);
  if (!holding_exits_) return false;
  held_exit_ = HeldExit{.wait_status = wait_status, .at = at};
  return true;
}

ProcessIo* Process::io() {
  std::lock_guard lock(mu_);
  return io_.get();
}

void Process::SetIo(std::unique_ptr<ProcessIo> io) {
  std::lock_guard lock(mu_);
  io_ = std::move(io);
  if (close_stdin_ && io_ != nullptr) io_->CloseStdin();
}

void Process::CloseStdin() {
  std::lock_guard lock(mu_);
  close_stdin_ = true;
  if (io_ != nullptr) io_->CloseStdin();
}

absl::Status Process::Wait(std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::unique_lock lock(mu_);
  auto done = [this] { return status_ == TaskStatus::kStopped || aborted_; };
  if (deadline) {
    if (!cv_.wait_until(lock, *deadline, done)) {
      return absl::DeadlineExceededError(fmt::format("wait for process {}: deadline exceeded", name()));
    }
  } else {
    cv_.wait(lock, done);
  }
  if (status_ != TaskStatus::kStopped) return absl::UnavailableError("shim is shutting down");
  return absl::OkStatus();
}

void Process::Abort() {
  std::lock_guard lock(mu_);
  aborted_ = true;
  cv_.notify_all();
}

StateResponse Process::State() {
  std::lock_guard lock(mu_);
  StateResponse r;
  r.pid = static_cast<uint32_t>(pid_);
  r.status = status_ == TaskStatus::kUnknown ? TaskStatus::kCreated : status_;
  r.stdio = stdio_;
  r.exit_status = exit_status_;
  r.exited_at = exited_at_;
  r.exec_id = exec_id_;
  return r;
}

}  // namespace berth::shim
