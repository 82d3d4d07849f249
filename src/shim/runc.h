// Drives the runc CLI (runc 1.1): one method per runc command, each bounded by a timeout. Container processes
// are reparented to the shim (a subreaper) when runc create/exec exits; the Reaper routes their exits.
// runc's own diagnostics go to a JSON log file; a failed command's error is its last "error" line there.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "shim/reaper.h"

namespace berth::shim {

// The fds a container process gets as 0, 1, 2 (-1: /dev/null). Unused with a console socket.
struct ProcessFds {
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
};

class Runc {
 public:
  // `root`: runc's state dir (--root); `log_path`: runc's JSON log (--log).
  Runc(Reaper* reaper, std::string root, std::string log_path, std::string binary = "runc");

  absl::Status Create(const std::string& id, const std::string& bundle, const std::string& pid_file,
                      const std::string& console_socket, const ProcessFds& fds);
  // Lets the created init go on through runc's exec FIFO, or with `runc start` when that is not there.
  absl::Status Start(const std::string& id, pid_t init_pid);
  // `process_file`: the OCI Process JSON. Detached; the process's pid lands in pid_file.
  absl::Status Exec(const std::string& id, const std::string& process_file, const std::string& pid_file,
                    const std::string& console_socket, const ProcessFds& fds);
  absl::Status Kill(const std::string& id, int signal, bool all);
  absl::Status Pause(const std::string& id);
  absl::Status Resume(const std::string& id);
  absl::Status Delete(const std::string& id, bool force);
  // `runc delete` of a stopped container at low priority (nice 10), for a cleanup nobody waits for yet: it
  // takes the CPU the client's next steps leave idle.
  absl::Status DeleteInBackground(const std::string& id);
  absl::Status Update(const std::string& id, const std::string& resources_file);
  absl::StatusOr<std::vector<pid_t>> Ps(const std::string& id);
  // One JSON object from `runc events --stats`: {"type":"stats","id":...,"data":{cpu, memory, pids, ...}}.
  absl::StatusOr<std::string> Stats(const std::string& id);

  const std::string& root() const { return root_; }

 private:
  // Runs runc with `args`; returns its stdout. With `fds`, runc's stdio are those (and output is not captured).
  absl::StatusOr<std::string> Run(const std::vector<std::string>& args, const ProcessFds* fds = nullptr,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(30), int nice = 0);
  std::string LastLoggedError() const;

  Reaper* reaper_;
  std::string root_, log_path_, binary_;
};

// Reads the pid runc wrote into `path` (retried briefly: runc writes it just before exiting).
absl::StatusOr<pid_t> ReadPidFile(const std::string& path);

}  // namespace berth::shim
