// berthd's runtime manager under faults: berthd SIGKILLed while containers run (they keep running and are
// reconnected), a SIGKILLed shim (cleaned up within seconds, reported stopped with a reason, runnable again),
// containerd's own runc shim driven by berthd, and many containers leaving nothing behind.

#include <signal.h>
#include <sys/stat.h>

#include <thread>

#include "tests/integration/runtime_fixture.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using RuntimeManagerTest = RuntimeTest;

size_t OpenFds(pid_t pid) {
  size_t n = 0;
  std::error_code ec;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    ++n;
  }
  return n;
}

TEST_F(RuntimeManagerTest, ContainersSurviveBerthdKilledAndAreReconnected) {
  ASSERT_CTR_OK(Run({"-d", kBusybox, "r1", "sleep", "1000"}));
  ASSERT_CTR_OK(Run({"-d", kBusybox, "r2", "sleep", "1000"}));
  pid_t pid = TaskPid("r1");
  auto shims = Shims("r1");
  ASSERT_EQ(shims.size(), 1u);
  ASSERT_TRUE(daemon_.Kill());
  EXPECT_TRUE(Alive(pid)) << "the container died with berthd";
  // A deleted task's bundle that a crash left half removed (berthd moves bundles aside, then removes them).
  const std::string aside = BundleDir() + "/.removing-gone-1-0";
  if (daemon_.kind() == DaemonKind::kBerthd) {
    std::filesystem::create_directories(aside + "/runc");
    WriteFileOrDie(aside + "/config.json", "{}");
  }
  ASSERT_TRUE(daemon_.Start());
  EXPECT_FALSE(std::filesystem::exists(aside)) << "left by a crash, removed at start";
  EXPECT_EQ(TaskStatus("r1"), "RUNNING");
  EXPECT_EQ(TaskStatus("r2"), "RUNNING");
  EXPECT_EQ(TaskPid("r1"), pid);
  EXPECT_EQ(Shims("r1"), shims);
  auto exec = ctr().Run({"tasks", "exec", "--exec-id", "after", "r1", "echo", "still-here"});
  ASSERT_CTR_OK(exec);
  EXPECT_EQ(exec.out, "still-here\n");
  // The reconnected shim is watched: killing it now is noticed too (berthd reports the task stopped;
  // containerd forgets it).
  ASSERT_EQ(::kill(Shims("r2").at(0), SIGKILL), 0);
  std::string after = daemon_.kind() == DaemonKind::kBerthd ? "STOPPED" : "";
  EXPECT_TRUE(WaitFor([&] { return TaskStatus("r2") == after; }, std::chrono::seconds(5)));
}

TEST_F(RuntimeManagerTest, KilledShimIsReportedStoppedAndCleanedUp) {
  if (daemon_.kind() != DaemonKind::kBerthd) GTEST_SKIP() << "containerd forgets such a task instead";
  std::string error;
  auto events = ctr().Start({"events"}, scratch_.Join("events.log"), &error);
  ASSERT_TRUE(events) << error;
  ASSERT_CTR_OK(Run({"-d", kBusybox, "k1", "sh", "-c", "sleep 1000 & sleep 1000"}));
  pid_t pid = TaskPid("k1");
  auto shims = Shims("k1");
  ASSERT_EQ(shims.size(), 1u);
  std::string rootfs = BundleDir() + "/k1/rootfs";
  ASSERT_FALSE(MountPointsUnder(rootfs).empty());
  // The init's children (the backgrounded sleep): they must go too.
  std::vector<pid_t> children;
  std::ifstream kids("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  for (pid_t child; kids >> child;) children.push_back(child);
  EXPECT_FALSE(children.empty());

  auto killed_at = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(shims[0], SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return TaskStatus("k1") == "STOPPED"; }, std::chrono::seconds(5)))
      << ctr().Run({"tasks", "ls"}).out << daemon_.LogTail();
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at, std::chrono::seconds(5));
  EXPECT_FALSE(Alive(pid)) << "container init " << pid << " survived its shim";
  for (pid_t child : children) EXPECT_FALSE(Alive(child)) << "container process " << child << " survived";
  EXPECT_TRUE(MountPointsUnder(daemon_.dir()).empty());
  EXPECT_THAT(daemon_.LogTail(), HasSubstr("shim (pid"));
  EXPECT_TRUE(WaitFor([&] { return TailOfFile(scratch_.Join("events.log")).find("/tasks/exit") != std::string::npos; },
                      std::chrono::seconds(5)))
      << TailOfFile(scratch_.Join("events.log"));
  // `berth ps -a` tells why.
  auto ps = Berth({"ps", "-a"});
  ASSERT_TRUE(ps.ok()) << ps.Describe();
  EXPECT_THAT(RowWithKey(ps.out, "k1"), HasSubstr("Exited (137)"));
  EXPECT_THAT(RowWithKey(ps.out, "k1"), HasSubstr(", shim died")) << ps.out;

  // The recorded exit survives a restart, and the container runs again once its task is deleted.
  ASSERT_TRUE(daemon_.Restart());
  EXPECT_EQ(TaskStatus("k1"), "STOPPED");
  EXPECT_THAT(RowWithKey(Berth({"ps", "-a"}).out, "k1"), HasSubstr("Exited (137)"));
  EXPECT_THAT(RowWithKey(Berth({"ps", "-a"}).out, "k1"), HasSubstr("shim died"));
  ASSERT_CTR_OK(ctr().Run({"tasks", "delete", "k1"}));
  ASSERT_CTR_OK(ctr().Run({"tasks", "start", "-d", "k1"}));
  EXPECT_EQ(TaskStatus("k1"), "RUNNING");
}

TEST_F(RuntimeManagerTest, ShimKilledAfterItsTaskExitedKeepsTheTasksOwnExit) {
  if (daemon_.kind() != DaemonKind::kBerthd) GTEST_SKIP() << "containerd forgets such a task instead";
  ASSERT_CTR_OK(Run({"-d", kBusybox, "k3", "sh", "-c", "exit 3"}));
  ASSERT_TRUE(WaitFor([&] { return TaskStatus("k3") == "STOPPED"; }, std::chrono::seconds(5)));
  ASSERT_TRUE(WaitFor([&] { return RowWithKey(Berth({"ps", "-a"}).out, "k3").find("Exited (3)") != std::string::npos; },
                      std::chrono::seconds(5)));
  auto shims = Shims("k3");
  ASSERT_EQ(shims.size(), 1u);
  ASSERT_EQ(::kill(shims[0], SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return daemon_.LogTail().find("/k3 stopped: shim (pid") != std::string::npos; },
                      std::chrono::seconds(5)))
      << daemon_.LogTail();
  EXPECT_TRUE(MountPointsUnder(daemon_.dir()).empty());
  auto check = [&](const std::string& when) {
    auto row = RowWithKey(Berth({"ps", "-a"}).out, "k3");
    EXPECT_THAT(row, HasSubstr("Exited (3)")) << when;
    EXPECT_THAT(row, Not(HasSubstr("shim died"))) << when << ": the task had ended on its own before";
  };
  check("after the shim died");
  ASSERT_TRUE(daemon_.Restart());
  check("after berthd restarted");
  // Deleting the task answers the task's own exit code.
  auto deleted = ctr().Run({"tasks", "delete", "k3"});
  ASSERT_CTR_OK(deleted);
  EXPECT_THAT(deleted.err, HasSubstr("non-zero exit code 3"));
  EXPECT_EQ(TaskStatus("k3"), "");
}

TEST_F(RuntimeManagerTest, HungShimReadsUnknownUntilItAnswersAgain) {
  ASSERT_CTR_OK(Run({"-d", kBusybox, "h1", "sleep", "1000"}));
  auto shims = Shims("h1");
  ASSERT_EQ(shims.size(), 1u);
  ASSERT_EQ(::kill(shims[0], SIGSTOP), 0);
  // State times out after 2 s: the task is listed, as UNKNOWN, not hidden, and ls does not hang.
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(TaskStatus("h1"), "UNKNOWN");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_EQ(::kill(shims[0], SIGCONT), 0);
  EXPECT_TRUE(WaitFor([&] { return TaskStatus("h1") == "RUNNING"; }, std::chrono::seconds(5)));
}

TEST_F(RuntimeManagerTest, RuncShimInterop) {
  auto r = Run({"--rm", kBusybox, "runc1", "sh", "-c", "echo via-runc; exit 4"}, kRuncRuntime);
  EXPECT_EQ(r.exit_code, 4) << r.Describe() << daemon_.LogTail();
  EXPECT_EQ(r.out, "via-runc\n");
  ASSERT_CTR_OK(Run({"-d", kBusybox, "runc2", "sleep", "1000"}, kRuncRuntime));
  EXPECT_EQ(TaskStatus("runc2"), "RUNNING");
  auto exec = ctr().Run({"tasks", "exec", "--exec-id", "x", "runc2", "echo", "exec-runc"});
  ASSERT_CTR_OK(exec);
  EXPECT_EQ(exec.out, "exec-runc\n");
  ASSERT_CTR_OK(ctr().Run({"tasks", "kill", "-s", "SIGKILL", "runc2"}));
  ASSERT_TRUE(WaitFor([&] { return TaskStatus("runc2") == "STOPPED"; }, std::chrono::seconds(10)));
  ASSERT_CTR_OK(ctr().Run({"tasks", "delete", "runc2"}));
  EXPECT_TRUE(WaitFor([&] { return Shims("runc2").empty(); }, std::chrono::seconds(10)));
}

TEST_F(RuntimeManagerTest, FiftyContainersLeaveNothingBehind) {
  // Warm up once so the daemon's steady-state fds (sockets, LMDB, threads) are counted in the baseline.
  ASSERT_CTR_OK(Run({"--rm", kBusybox, "warm", "true"}));
  size_t fds_before = daemon_.kind() == DaemonKind::kBerthd ? OpenFds(daemon_.pid()) : 0;
  for (int i = 0; i < 25; ++i) {
    std::string id = "one" + std::to_string(i);
    auto r = Run({"--rm", kBusybox, id, "echo", id});
    ASSERT_CTR_OK(r);
    ASSERT_EQ(r.out, id + "\n");
  }
  // Then 25 more, 8 at a time.
  for (int batch = 0; batch < 25; batch += 8) {
    std::vector<std::thread> threads;
    std::vector<RunResult> results(8);
    for (int j = 0; j < 8 && batch + j < 25; ++j) {
      threads.emplace_back([&, j] {
        std::string id = "par" + std::to_string(batch + j);
        results[j] = Run({"--rm", kBusybox, id, "echo", id});
      });
    }
    for (auto& t : threads) t.join();
    for (size_t j = 0; j < threads.size(); ++j) {
      EXPECT_CTR_OK(results[j]);
      EXPECT_EQ(results[j].out, "par" + std::to_string(batch + j) + "\n");
    }
  }
  EXPECT_TRUE(MountPointsUnder(daemon_.dir()).empty());
  EXPECT_TRUE(WaitFor([&] { return AllShims().empty(); }, std::chrono::seconds(10)));
  EXPECT_TRUE(WaitFor([&] { return Bundles().empty(); }, std::chrono::seconds(10))) << Bundles().front();
  EXPECT_TRUE(Lines(ctr().Run({"containers", "ls", "-q"}).out).empty());
  EXPECT_TRUE(Lines(ctr().Run({"snapshots", "ls"}).out).size() <= 2u);  // header + the image's layer
  if (daemon_.kind() == DaemonKind::kBerthd) {
    // Allow a little slack for gRPC's own lazily created fds.
    EXPECT_LE(OpenFds(daemon_.pid()), fds_before + 4);
  }
}

}  // namespace
}  // namespace berth::testing
