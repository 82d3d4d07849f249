// Runs a shim's command-line actions (`start`, `delete`) as containerd does: posix_spawn (no fork of a
// multi-threaded daemon), cwd = the bundle, its own process group, stdin from a buffer, output read to EOF,
// all under a deadline after which the process is killed.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::runtime {

struct CommandSpec {
  std::vector<std::string> argv;  // argv[0] is an absolute path
  std::string cwd;
  std::vector<std::string> env;   // "K=V"
  std::string stdin_data;         // empty: /dev/null
  bool merge_stderr = false;      // stderr into the stdout pipe (what `start` needs)
  std::chrono::milliseconds timeout{5000};
};

struct CommandResult {
  int exit_code = -1;  // 128+signal if signalled
  std::string out;
  std::string err;
};

// DeadlineExceeded (the process is SIGKILLed and reaped) when it runs past the timeout.
absl::StatusOr<CommandResult> RunCommand(const CommandSpec& spec);

}  // namespace berth::runtime
