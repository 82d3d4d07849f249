// Issue "every fd O_CLOEXEC": berthd spawns shims and the shim spawns runc, which starts the container; an fd
// without close-on-exec leaks into all of them (a container holding berthd's metadata database open, a shim
// keeping a registry connection alive). After every subsystem has opened what it keeps open (a pull from a
// registry, a container run with our shim, an exec, `berth df`, a metrics scrape), every fd of berthd and of
// the idle shim above stderr must carry O_CLOEXEC.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/util/busybox.h"
#include "tests/util/fixture.h"
#include "tests/util/processes.h"

namespace berth::testing {
namespace {

using ::testing::IsEmpty;

constexpr char kBusybox[] = "docker.io/library/bbox:v1";
constexpr char kBerthRuntime[] = "io.containerd.berth.v1";
constexpr unsigned long kOCloexec = 02000000;  // O_CLOEXEC as fdinfo's octal "flags:" shows it

// "fd N -> TARGET (flags F)" for every fd of pid above 2 whose fdinfo flags lack O_CLOEXEC. An fd closed while
// we look is skipped.
std::vector<std::string> FdsWithoutCloexec(pid_t pid) {
  std::vector<std::string> leaks;
  std::string proc = "/proc/" + std::to_string(pid);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(proc + "/fdinfo", ec)) {
    std::string name = entry.path().filename();
    int fd = std::atoi(name.c_str());
    if (fd <= 2) continue;
    std::ifstream info(entry.path());
    std::string line, flags;
    while (std::getline(info, line)) {
      if (line.rfind("flags:", 0) == 0) flags = line.substr(line.find_first_not_of(" \t", 6));
    }
    if (flags.empty()) continue;  // closed meanwhile
    if ((std::stoul(flags, nullptr, 8) & kOCloexec) != 0) continue;
    std::error_code link_ec;
    std::string target = std::filesystem::read_symlink(proc + "/fd/" + name, link_ec).string();
    leaks.push_back("fd " + name + " -> " + target + " (flags " + flags + ")");
  }
  return leaks;
}

class FdCloexecTest : public DaemonTest {
 protected:
  FdCloexecTest() : DaemonTest(Options()) {}

  static int& MetricsPort() {
    static int port = 0;
    return port;
  }
  static Daemon::Options Options() {
    MetricsPort() = FreeLoopbackPort();
    return {.path_prefix = BERTH_BIN_DIR,
            .extra_args = {"--metrics-address", "127.0.0.1:" + std::to_string(MetricsPort())}};
  }

  void SetUp() override {
    if (DaemonKindFromEnv() == DaemonKind::kContainerd) GTEST_SKIP() << "checks berthd's and our shim's own fds";
    ASSERT_EQ(::geteuid(), 0u) << "runs a container: needs root";
    DaemonTest::SetUp();
  }

  void TearDown() override {
    if (!daemon_.running()) return;
    ctr().Run({"tasks", "kill", "-s", "SIGKILL", "fds"});
    // Delete succeeds once the kill has stopped the task (or there was no task).
    WaitFor([&] { return ctr().Run({"tasks", "delete", "fds"}).ok() || ctr().Run({"tasks", "ls", "-q"}).out.empty(); },
            std::chrono::seconds(10));
    ctr().Run({"containers", "rm", "fds"});
  }
};

TEST_F(FdCloexecTest, EveryFdOfBerthdAndOfAnIdleShimIsCloseOnExec) {
  GeneratedImage image;
  std::string ref;
  ASSERT_NO_FATAL_FAILURE(
      MakeRegistryImage({.name = "docker.io/library/fds:v1", .seed = 77, .layers = 2}, "fds", &image, &ref));
  RunResult pulled = Berth({"pull", "--plain-http", ref});
  ASSERT_TRUE(pulled.ok()) << pulled.Describe();
  ASSERT_TRUE(ImportBusybox(ctr(), scratch_.Join("busybox"), kBusybox));
  ASSERT_CTR_OK(ctr().Run({"run", "-d", "--runtime", kBerthRuntime, kBusybox, "fds", "sleep", "1000"}));
  auto exec = ctr().Run({"tasks", "exec", "--exec-id", "e1", "fds", "echo", "hi"});
  ASSERT_CTR_OK(exec);
  EXPECT_EQ(exec.out, "hi\n");
  RunResult df = Berth({"df"});
  ASSERT_TRUE(df.ok()) << df.Describe();
  EXPECT_EQ(HttpGetStatus(MetricsPort(), "/v1/metrics", std::chrono::seconds(10)), 200);

  EXPECT_THAT(FdsWithoutCloexec(daemon_.pid()), IsEmpty()) << "berthd (pid " << daemon_.pid() << ")";
  auto shims = ProcessesMatching({"containerd-shim-berth-v1", "-id fds", daemon_.socket()});
  ASSERT_EQ(shims.size(), 1u);
  EXPECT_THAT(FdsWithoutCloexec(shims[0]), IsEmpty()) << "the idle shim (pid " << shims[0] << ")";
}

}  // namespace
}  // namespace berth::testing
