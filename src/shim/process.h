// One process of the task (the container's init, or an exec) and its lifecycle:
//
//   (new) --created(pid)--> Created --started--> Running <--pause/resume--> Paused
//     every state --exited(status)--> Stopped      (an exit may arrive before Start has returned)
//
// Illegal transitions are answered FailedPrecondition. Thread-safe; Wait blocks until Stopped.
//
// Event order: clients rely on /tasks/create, /tasks/start and /tasks/exec-started coming before the process's
// /tasks/exit, but a short process can exit (and be reaped) before the call that started it has published.
// So its exit is held, as containerd's shim does: from construction until the create (init) or start (exec)
// has been published (EndStart), and again between BeginStart and EndStart of the init's Start.
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

// containerd's UnknownExitStatus: for a process whose exit status is not known (or that never ran).
inline constexpr uint32_t kUnknownExitStatus = 255;

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

  // Exits are held from now until EndStart; FailedPrecondition if a start is already under way.
  absl::Status BeginStart();
  struct HeldExit {
    int wait_status;
    Timestamp at;  // when it was reaped
  };
  // The start (or create) is published: exits are reported from now on. Returns an exit held meanwhile,
  // which the caller reports now.
  std::optional<HeldExit> EndStart();
  // The reaper's exit: true if it is held (EndStart returns it), false if the caller reports it now.
  bool HoldExit(int wait_status, Timestamp at);

  // Blocks until the process has exited, the deadline passes (DeadlineExceeded) or Abort() is called.
  absl::Status Wait(std::optional<std::chrono::steady_clock::time_point> deadline);
  void Abort();  // wakes waiters at shutdown

  uint32_t exit_status();
  Timestamp exited_at();
  StateResponse State();

  // Stdio, set once by Start (exec) or Create (init); nullptr before. It lives as long as the process record.
  ProcessIo* io();
  void SetIo(std::unique_ptr<ProcessIo> io);
  // CloseIO{stdin}: now, or as soon as the stdio is set (ctr may send CloseIO for an exec before Start).
  void CloseStdin();

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
  bool holding_exits_ = true;  // until the create/start is published
  bool starting_ = false;      // between BeginStart and EndStart
  std::optional<HeldExit> held_exit_;
  std::unique_ptr<ProcessIo> io_;
  bool close_stdin_ = false;  // CloseIO came before the stdio existed
};

}  // namespace berth::shim
