// The shim is a child subreaper: container processes (reparented to it when `runc create/exec` exits) and the
// runc commands it spawns all end up as its children. One thread reaps every child (waitpid(-1)) and routes
// each exit: to the caller waiting for a command it spawned, to the watcher of a container process, or into a
// small table of exits nobody has claimed yet (a container process may exit before its pid file is read).
//
// Create the Reaper first in main(), before any other thread: it blocks SIGCHLD in the calling thread so every
// later thread inherits the block and only the reaper's signalfd sees it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace berth::shim {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is searched in PATH
  int stdin_fd = -1;              // -1: /dev/null
  int stdout_fd = -1;
  int stderr_fd = -1;
  int nice = 0;  // applied just after the spawn: the command's first instants run at the shim's priority
};

// Exit status as containerd reports it: the exit code, or 128 + signal number.
uint32_t ExitStatusFromWaitStatus(int wait_status);

class Reaper {
 public:
  static absl::StatusOr<std::unique_ptr<Reaper>> Start();
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;
  ~Reaper();

  // Starts a command whose exit only WaitCommand(pid) observes. Signals are unblocked and reset in the child.
  absl::StatusOr<pid_t> Spawn(const SpawnOptions& options);
  // Waits for a spawned command and returns its wait status; SIGKILLs it at the timeout (DeadlineExceeded).
  absl::StatusOr<int> WaitCommand(pid_t pid, std::chrono::milliseconds timeout);

  // Calls on_exit(wait_status) once when `pid` (a process we did not Spawn) exits; at once if it already has.
  // on_exit runs on the reaper thread or the caller's, without the reaper's lock held.
  void Watch(pid_t pid, std::function<void(int)> on_exit);

 private:
  Reaper(UniqueFd signal_fd, UniqueFd wake_fd);
  void Run();
  void ReapAll();

  UniqueFd signal_fd_, wake_fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<pid_t, std::optional<int>> commands_;  // spawned commands: unset until exited
  std::map<pid_t, std::function<void(int)>> watchers_;
  std::map<pid_t, int> unclaimed_;  // exits of processes nobody watched yet (bounded)
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace berth::shim
