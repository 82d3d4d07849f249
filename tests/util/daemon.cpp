#include "tests/util/daemon.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#ifndef BERTH_BIN_DIR
#error "BERTH_BIN_DIR must be defined by the build (the directory holding berthd)"
#endif

namespace berth::testing {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : fallback;
}

// True if something accepts connections on the unix socket.
bool SocketAccepts(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    close(fd);
    return false;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

DaemonKind DaemonKindFromEnv() {
  std::string v = EnvOr("BERTH_TEST_DAEMON", "berthd");
  if (v == "berthd" || v == "berth") return DaemonKind::kBerthd;
  if (v == "containerd") return DaemonKind::kContainerd;
  std::cerr << "BERTH_TEST_DAEMON=" << v << ": expected berthd or containerd\n";
  std::abort();
}

const char* DaemonKindName(DaemonKind kind) {
  return kind == DaemonKind::kBerthd ? "berthd" : "containerd";
}

std::string BerthdPath() { return EnvOr("BERTH_TEST_BERTHD", std::string(BERTH_BIN_DIR) + "/berthd"); }

Daemon::Daemon() : Daemon(Options{}) {}

Daemon::Daemon(Options options)
    : options_(std::move(options)),
      kind_(options_.kind.value_or(DaemonKindFromEnv())),
      dir_(std::string("berth-it-") + DaemonKindName(kind_)) {
  if (options_.log_level.empty()) options_.log_level = EnvOr("BERTH_TEST_LOG_LEVEL", "info");
  root_ = dir_.Join("root");
  state_ = dir_.Join("state");
  socket_ = dir_.Join(kind_ == DaemonKind::kBerthd ? "berthd.sock" : "containerd.sock");
  log_path_ = dir_.Join("daemon.log");
}

Daemon::~Daemon() {
  if (child_ && child_->Running()) {
    child_->Signal(SIGTERM);
    if (!child_->Wait(options_.stop_timeout)) {
      std::cerr << DaemonKindName(kind_) << " did not stop on SIGTERM within "
                << options_.stop_timeout.count() << " ms; killing it\n";
    }
  }
  child_.reset();  // SIGKILL + reap if still running
  if (::testing::Test::HasFailure()) {
    std::cerr << "---- " << DaemonKindName(kind_) << " log (" << log_path_ << ") ----\n"
              << LogTail() << "\n---- end of log ----\n";
  }
}

std::string Daemon::WriteContainerdConfig() const {
  std::string config_path = dir_.Join("containerd.toml");
  // Everything under the temp dir; the CRI plugin off (it wants CNI and a kubelet-shaped host).
  std::string toml =
      "version = 2\n"
      "root = \"" + root_ + "\"\n"
      "state = \"" + state_ + "\"\n"
      "disabled_plugins = [\"io.containerd.grpc.v1.cri\", \"io.containerd.internal.v1.tracing\","
      " \"io.containerd.tracing.processor.v1.otlp\"]\n"
      "[grpc]\n"
      "  address = \"" + socket_ + "\"\n"
      "[ttrpc]\n"
      "  address = \"" + socket_ + ".ttrpc\"\n"
      "[debug]\n"
      "  address = \"\"\n"
      "  level = \"" + options_.log_level + "\"\n"
      "[metrics]\n"
      "  address = \"\"\n"
      "[plugins.\"io.containerd.internal.v1.opt\"]\n"
      "  path = \"" + dir_.Join("opt") + "\"\n"
      // No collection at start-up (default: 100 ms after start), so a test that ingests a blob and then
      // labels it containerd.io/gc.root is not raced by it. Deletions still trigger GC, as by default.
      "[plugins.\"io.containerd.gc.v1.scheduler\"]\n"
      "  startup_delay = \"0s\"\n" +
      (options_.defer_gc ? "  schedule_delay = \"1h\"\n" : "");
  WriteFileOrDie(config_path, toml);
  return config_path;
}

std::vector<std::string> Daemon::Command() const {
  if (kind_ == DaemonKind::kContainerd) {
    return {EnvOr("BERTH_TEST_CONTAINERD", "/usr/bin/containerd"), "--config", WriteContainerdConfig()};
  }
  std::vector<std::string> argv = {BerthdPath(), "--root", root_, "--state", state_, "--address", socket_,
                                   "--log-level", options_.log_level};
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  return argv;
}

::testing::AssertionResult Daemon::Start() {
  if (child_ && child_->Running()) return ::testing::AssertionFailure() << "daemon already running";
  auto argv = Command();
  if (kind_ == DaemonKind::kBerthd && access(argv[0].c_str(), X_OK) != 0) {
    return ::testing::AssertionFailure()
           << "berthd not found at " << argv[0]
           << " (build it, set BERTH_TEST_BERTHD, or run against containerd with "
              "BERTH_TEST_DAEMON=containerd)";
  }
  ++starts_;
  std::string header = "==== start #" + std::to_string(starts_) + ":";
  for (const auto& a : argv) header += " " + a;
  {
    std::FILE* f = std::fopen(log_path_.c_str(), "a");
    if (f != nullptr) {
      std::fprintf(f, "%s\n", header.c_str());
      std::fclose(f);
    }
  }
  std::string error;
  Child::Options child_options;
  child_options.log_path = log_path_;
  child_options.env = options_.env;
  if (!options_.path_prefix.empty()) {
    child_options.env["PATH"] = options_.path_prefix + ":" + EnvOr("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
  }
  child_ = Child::Start(argv, child_options, &error);
  if (!child_) return ::testing::AssertionFailure() << "cannot start " << argv[0] << ": " << error;

  Ctr probe(socket_, "default");
  auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  RunResult last;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!child_->Running()) {
      return ::testing::AssertionFailure()
             << DaemonKindName(kind_) << " exited during start-up ("
             << DescribeWaitStatus(*child_->status()) << "); log:\n" << LogTail(8192);
    }
    if (SocketAccepts(socket_)) {
      RunOptions run_options;
      run_options.timeout = std::chrono::seconds(10);
      last = probe.Run({"version"}, run_options);
      if (last.ok()) return ::testing::AssertionSuccess();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ::testing::AssertionFailure()
         << DaemonKindName(kind_) << " did not answer `ctr version` on " << socket_ << " within "
         << options_.start_timeout.count() << " ms\n"
         << (last.argv.empty() ? "(socket never accepted a connection)\n" : last.Describe()) << "log:\n"
         << LogTail(8192);
}

::testing::AssertionResult Daemon::Stop() {
  if (!child_ || !child_->Running()) {
    std::string how = child_ && child_->status() ? DescribeWaitStatus(*child_->status()) : "never started";
    return ::testing::AssertionFailure() << DaemonKindName(kind_) << " is not running (" << how << ")";
  }
  child_->Signal(SIGTERM);
  auto status = child_->Wait(options_.stop_timeout);
  if (!status) {
    child_->KillAndReap();
    return ::testing::AssertionFailure() << DaemonKindName(kind_) << " did not exit within "
                                         << options_.stop_timeout.count() << " ms of SIGTERM";
  }
  // containerd exits 0 on SIGTERM, as berthd must.
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return ::testing::AssertionFailure() << DaemonKindName(kind_) << " stopped uncleanly on SIGTERM: "
                                         << DescribeWaitStatus(*status);
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Daemon::Kill() {
  if (!child_ || !child_->Running()) {
    return ::testing::AssertionFailure() << DaemonKindName(kind_) << " is not running";
  }
  child_->KillAndReap();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Daemon::Restart() {
  auto stopped = Stop();
  if (!stopped) return stopped;
  return Start();
}

bool Daemon::running() { return child_ && child_->Running(); }

pid_t Daemon::pid() const { return child_ ? child_->pid() : -1; }

}  // namespace berth::testing
