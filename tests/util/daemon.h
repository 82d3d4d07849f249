#pragma once
// The daemon under test, on a fresh temp root/state/socket: berthd by default, or a real containerd 1.6 when
// BERTH_TEST_DAEMON=containerd (so the same tests validate against containerd's behaviour).
//
//   Daemon daemon;
//   ASSERT_TRUE(daemon.Start());
//   Ctr ctr = daemon.ctr("it");
//   ...
//   ASSERT_TRUE(daemon.Restart());   // same root and state
//
// Environment:
//   BERTH_TEST_DAEMON     berthd (default) | containerd
//   BERTH_TEST_BERTHD     path of berthd (default: BERTH_BIN_DIR/berthd from CMake)
//   BERTH_TEST_CONTAINERD path of containerd (default /usr/bin/containerd)
//   BERTH_TEST_LOG_LEVEL  daemon log level (default info)
//   BERTH_TEST_KEEP=1     keep the temp dir (root, state, log) after the test
// On destruction the daemon is stopped; if the current test failed, the tail of its log is printed.

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "tests/util/ctr.h"
#include "tests/util/files.h"
#include "tests/util/subprocess.h"

namespace berth::testing {

enum class DaemonKind { kBerthd, kContainerd };

// From BERTH_TEST_DAEMON; an unknown value aborts the test binary with a message.
DaemonKind DaemonKindFromEnv();
const char* DaemonKindName(DaemonKind kind);

class Daemon {
 public:
  struct Options {
    std::optional<DaemonKind> kind{};  // unset: DaemonKindFromEnv()
    std::string log_level{};         // "": BERTH_TEST_LOG_LEVEL or info
    std::chrono::milliseconds start_timeout{std::chrono::seconds(30)};
    std::chrono::milliseconds stop_timeout{std::chrono::seconds(20)};
    // containerd only: GC runs an hour after it is triggered, i.e. not during a test. For suites that write
    // unreferenced content and read it back later (containerd's own conformance suites), which its GC would
    // otherwise collect at random moments. (A synchronous delete, e.g. `images rm --sync`, would then hang.)
    bool defer_gc = false;
    // Directory put first on the daemon's PATH, where containerd looks for shim binaries
    // (e.g. BERTH_BIN_DIR for containerd-shim-berth-v1). "": PATH unchanged.
    std::string path_prefix{};
    // berthd only: flags appended to its command line (e.g. {"--metrics-address", "127.0.0.1:PORT"}).
    std::vector<std::string> extra_args{};
    // Added to the daemon's environment (e.g. {"BERTH_FAULT_GC_PAUSE_US", "500"} for crash tests).
    std::map<std::string, std::string> env{};
  };

  // Makes the temp dir; does not start the process.
  Daemon();
  explicit Daemon(Options options);
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon();

  // Starts the daemon and waits (bounded) until `ctr version` answers on the socket.
  ::testing::AssertionResult Start();
  // SIGTERM and wait for a clean exit (status 0); SIGKILL if it does not stop within stop_timeout.
  ::testing::AssertionResult Stop();
  // SIGKILL and reap: a crash, for restart tests.
  ::testing::AssertionResult Kill();
  // Stop() then Start() on the same root, state and socket.
  ::testing::AssertionResult Restart();

  bool running();
  pid_t pid() const;
  DaemonKind kind() const { return kind_; }
  const char* kind_name() const { return DaemonKindName(kind_); }
  const std::string& socket() const { return socket_; }
  const std::string& root() const { return root_; }
  const std::string& state() const { return state_; }
  const std::string& log_path() const { return log_path_; }
  const std::string& dir() const { return dir_.path(); }
  std::string LogTail(size_t max_bytes = 32 * 1024) const { return TailOfFile(log_path_, max_bytes); }

  Ctr ctr(const std::string& ns) const { return Ctr(socket_, ns); }

 private:
  std::vector<std::string> Command() const;
  std::string WriteContainerdConfig() const;

  Options options_;
  DaemonKind kind_;
  TempDir dir_;
  std::string root_, state_, socket_, log_path_;
  std::optional<Child> child_;
  int starts_ = 0;
};

// Path of berthd (BERTH_TEST_BERTHD, else the build's bin dir).
std::string BerthdPath();

}  // namespace berth::testing
