// berth-with-daemon: starts a fresh daemon (berthd, or containerd with BERTH_TEST_DAEMON=containerd) on a temp
// root, runs a command against it, stops the daemon and exits with the command's status.
//
//   berth-with-daemon CMD ARGS...      every "{socket}" in ARGS is replaced by the daemon's socket path
//
// Used by CTest to run containerd's own conformance suites (tests/CMakeLists.txt, label `conformance`).
// The daemon's log is printed if the command or the daemon fails. A containerd started here has its GC deferred
// (see Daemon::Options::defer_gc): the suites write unreferenced blobs and expect to read them back.

#include <sys/wait.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "tests/util/daemon.h"

int main(int argc, char** argv) {
  using berth::testing::Daemon;
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " CMD ARGS...   ({socket} in ARGS = the daemon socket)\n";
    return 2;
  }
  Daemon daemon(Daemon::Options{.defer_gc = true});
  auto started = daemon.Start();
  if (!started) {
    std::cerr << started.message() << "\n";
    return 1;
  }
  std::cerr << "berth-with-daemon: " << daemon.kind_name() << " on " << daemon.socket() << "\n";
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    for (size_t pos; (pos = a.find("{socket}")) != std::string::npos;) a.replace(pos, 8, daemon.socket());
    args.push_back(a);
  }
  std::vector<char*> c_args;
  for (auto& a : args) c_args.push_back(a.data());
  c_args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    execvp(c_args[0], c_args.data());
    std::perror(c_args[0]);
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) status = 127 << 8;
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto stopped = daemon.Stop();
  if (!stopped) {
    std::cerr << stopped.message() << "\n";
    if (rc == 0) rc = 1;
  }
  if (rc != 0) {
    std::cerr << "---- " << daemon.kind_name() << " log ----\n" << daemon.LogTail() << "\n";
  }
  return rc;
}
