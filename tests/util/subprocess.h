#pragma once
// Child processes for the integration tests: run-to-completion with a deadline and captured output, and
// long-running servers (daemons, registries) whose output goes to a log file.
// Every child gets PR_SET_PDEATHSIG=SIGKILL, so nothing outlives a crashed test binary.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::testing {

struct RunOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  // At most one of these feeds stdin; with neither, stdin is /dev/null.
  std::optional<std::string> stdin_path;  // a regular file (seekable, as ctr needs to resume)
  std::optional<std::string> stdin_data;
  std::map<std::string, std::string> env;  // added to (overriding) the test's environment
};

struct RunResult {
  std::vector<std::string> argv;
  int exit_code = -1;    // -1 if killed by a signal or timed out
  int term_signal = 0;   // signal that ended it, if any
  bool timed_out = false;
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed{0};

  bool ok() const { return exit_code == 0 && !timed_out; }
  // The command line, exit status and both outputs (truncated), for assertion messages.
  std::string Describe() const;
};

// Runs argv[0] (PATH is searched) to completion, killing it with SIGKILL at the timeout.
RunResult RunCommand(const std::vector<std::string>& argv, const RunOptions& options = {});

// A background process. Destruction kills (SIGKILL) and reaps it if it is still running.
class Child {
 public:
  struct Options {
    std::string log_path;             // stdout and stderr appended here ("" = /dev/null)
    bool stdin_pipe = false;          // give the child a pipe on stdin (see WriteStdin/CloseStdin)
    std::map<std::string, std::string> env;
  };

  // Starts argv; on failure returns nullopt and fills *error.
  static std::optional<Child> Start(const std::vector<std::string>& argv, const Options& options,
                                    std::string* error);

  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  const std::vector<std::string>& argv() const { return argv_; }
  // True until the process has been reaped.
  bool Running();
  bool Signal(int sig);
  // Waits up to `timeout` for exit; returns the raw wait status, or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // SIGKILL and reap (no-op if already reaped).
  void KillAndReap();
  // Writes all of `data` to the child's stdin pipe; false if the pipe is closed or broken, or the child did
  // not take the data within `timeout`.
  bool WriteStdin(const std::string& data,
                  std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void CloseStdin();
  // The wait status once reaped.
  std::optional<int> status() const { return status_; }

 private:
  Child() = default;
  void Reset();

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::optional<int> status_;
  std::vector<std::string> argv_;
};

// "exited 1", "killed by signal 9", ...
std::string DescribeWaitStatus(int status);

}  // namespace berth::testing
