// Issue 4 acceptance for `berth run` and `berth ps`: why a task stopped ("Exited (3)", "killed by SIGKILL",
// "OOM killed"), still known after berthd restarts; `berth run` pulling an image that is only in the registry;
// signals sent to a foreground `berth run` reaching its task and its exit code coming back.
// ("shim died" is checked where the shim is killed: runtime_test.cpp.)

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <thread>

#include "tests/integration/runtime_fixture.h"
#include "tests/util/image.h"
#include "tests/util/registry.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using BerthRunTest = RuntimeTest;

// The STATUS column needs no parsing: the row of `berth ps -a` for id holds it.
std::string PsRow(const RunResult& ps, const std::string& id) { return RowWithKey(ps.out, id); }

TEST_F(BerthRunTest, PsTellsWhyEachTaskStoppedAcrossARestart) {
  if (daemon_.kind() != DaemonKind::kBerthd) GTEST_SKIP() << "stop reasons are berthd's own service";
  ASSERT_CTR_OK(Berth({"run", "-d", "--name", "three", kBusybox, "sh", "-c", "exit 3"}));
  ASSERT_CTR_OK(Berth({"run", "-d", "--name", "nine", kBusybox, "sleep", "1000"}));
  // Doubling a shell variable: far past 64 MiB within a second, and there is no swap to hide in.
  ASSERT_CTR_OK(Berth({"run", "-d", "--memory", "64m", "--name", "hog", kBusybox, "sh", "-c",
                       "x=0123456789abcdef; while true; do x=$x$x; done"}));
  ASSERT_CTR_OK(Berth({"kill", "-s", "KILL", "nine"}));
  for (const char* id : {"three", "nine", "hog"}) {
    ASSERT_TRUE(WaitFor([&] { return TaskStatus(id) == "STOPPED"; }, std::chrono::seconds(20)))
        << id << "\n" << ctr().Run({"tasks", "ls"}).out << daemon_.LogTail();
  }

  auto check = [&](const std::string& when) {
    auto ps = Berth({"ps", "-a"});
    ASSERT_CTR_OK(ps);
    EXPECT_THAT(ps.out, HasSubstr("NAMES")) << when;
    EXPECT_THAT(PsRow(ps, "three"), HasSubstr("Exited (3) ")) << when << "\n" << ps.out;
    EXPECT_THAT(PsRow(ps, "three"), Not(HasSubstr(", "))) << "a plain exit needs no reason\n" << ps.out;
    EXPECT_THAT(PsRow(ps, "nine"), HasSubstr("Exited (137)")) << when << "\n" << ps.out;
    EXPECT_THAT(PsRow(ps, "nine"), HasSubstr("ago, killed by SIGKILL")) << when << "\n" << ps.out;
    EXPECT_THAT(PsRow(ps, "hog"), HasSubstr("Exited (137)")) << when << "\n" << ps.out;
    EXPECT_THAT(PsRow(ps, "hog"), HasSubstr("OOM killed")) << when << "\n" << ps.out;
    // Stopped tasks are not "running": plain `ps` leaves them out.
    EXPECT_THAT(Berth({"ps"}).out, Not(HasSubstr("three"))) << when;
    // containerd's own API still answers as containerd does: status and code, no reason.
    EXPECT_EQ(TaskStatus("hog"), "STOPPED") << when;
  };
  check("before the restart");
  ASSERT_TRUE(daemon_.Restart());
  check("after berthd restarted");
  // Deleting the task forgets the reason: the container reads Created again.
  ASSERT_CTR_OK(ctr().Run({"tasks", "delete", "nine"}));
  auto ps = Berth({"ps", "-a"});
  EXPECT_THAT(PsRow(ps, "nine"), HasSubstr("Created")) << ps.out;
  EXPECT_THAT(PsRow(ps, "nine"), Not(HasSubstr("Exited"))) << ps.out;
}

TEST_F(BerthRunTest, PsTableAndQuietIds) {
  ASSERT_CTR_OK(Berth({"run", "-d", "--name", "a-container-with-a-long-name", kBusybox, "sleep", "1000"}));
  ASSERT_CTR_OK(Berth({"run", "-d", "--name", "short", kBusybox, "sh", "-c", "sleep 1000; echo this is long"}));
  auto ps = Berth({"ps"});
  ASSERT_CTR_OK(ps);
  auto header = Lines(ps.out).at(0);
  EXPECT_EQ(Fields(header), (std::vector<std::string>{"CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS",
                                                       "NAMES"}));
  // The id column is cut to 12 characters; NAMES has it whole.
  std::string row = RowWithKey(ps.out, "a-container-");
  EXPECT_THAT(row, HasSubstr("a-container-with-a-long-name")) << ps.out;
  EXPECT_THAT(row, HasSubstr("\"sleep 1000\"")) << ps.out;
  EXPECT_THAT(row, HasSubstr("ago")) << "CREATED is an age\n" << ps.out;
  EXPECT_THAT(row, HasSubstr("Up ")) << ps.out;
  EXPECT_THAT(RowWithKey(ps.out, "short"), HasSubstr("\"sh -c sleep 1000;...\"")) << ps.out;
  auto quiet = Berth({"ps", "-q"});
  ASSERT_CTR_OK(quiet);
  std::vector<std::string> ids = Lines(quiet.out);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"a-container-with-a-long-name", "short"}));
}

TEST_F(BerthRunTest, RunPullsAnImageOnlyInTheRegistry) {
  if (daemon_.kind() != DaemonKind::kBerthd) GTEST_SKIP() << "berth pull is berthd's own service";
  std::string error;
  Registry* registry = SharedRegistry(&error);
  ASSERT_NE(registry, nullptr) << error;
  // busybox again, under a name this daemon has never seen.
  ImageSpec spec{.name = "docker.io/library/remote-bbox:v1", .archive = false};
  LayerSpec layer{.compression = "gzip"};
  layer.entries = {Dir("bin"), File("bin/busybox", ReadFileOrDie("/bin/busybox"), 0755), Symlink("busybox", "bin/sh"),
                   Symlink("busybox", "bin/echo")};
  for (const char* d : {"proc", "sys", "dev", "etc", "tmp"}) layer.entries.push_back(Dir(d));
  spec.custom_layers = {layer};
  GeneratedImage image;
  ASSERT_TRUE(GenerateImage(spec, scratch_.Join("remote"), &image));
  std::string ref;
  ASSERT_TRUE(PushImage(image, *registry, "berth/remote-bbox", &ref));

  auto never = Berth({"run", "--rm", "--pull", "never", ref, "echo", "x"});
  EXPECT_NE(never.exit_code, 0) << never.Describe();
  EXPECT_THAT(never.err, HasSubstr(ref)) << never.Describe();

  auto run = Berth({"run", "--rm", "--plain-http", ref, "echo", "pulled and ran"});
  ASSERT_CTR_OK(run);
  EXPECT_EQ(run.out, "pulled and ran\n") << "pull progress goes to stderr, not into the container's output";
  EXPECT_THAT(ctr().Run({"images", "ls", "-q"}).out, HasSubstr(ref));
  // Present now: no second pull is needed (--pull never finds it).
  auto again = Berth({"run", "--rm", "--pull", "never", ref, "echo", "again"});
  ASSERT_CTR_OK(again);
  EXPECT_EQ(again.out, "again\n");

  auto bad = Berth({"run", "--rm", "--pull", "sometimes", ref, "true"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("--pull sometimes"));
}

TEST_F(BerthRunTest, SignalsToAForegroundRunReachTheTask) {
  std::vector<std::string> argv = {std::string(BERTH_BIN_DIR) + "/berth", "--address", daemon_.socket(),
                                   "--namespace", ns_, "run", "--rm", "--name", "trapper", kBusybox, "sh", "-c",
                                   "trap 'exit 7' TERM; echo ready; while true; do sleep 0.1; done"};
  std::string log = scratch_.Join("run.log");
  std::string error;
  auto child = Child::Start(argv, {.log_path = log}, &error);
  ASSERT_TRUE(child) << error;
  ASSERT_TRUE(WaitFor([&] { return TailOfFile(log).find("ready") != std::string::npos; }, std::chrono::seconds(30)))
      << TailOfFile(log);
  ASSERT_TRUE(child->Signal(SIGTERM));
  std::optional<int> status = child->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value()) << "berth run did not end after SIGTERM\n" << TailOfFile(log);
  EXPECT_TRUE(WIFEXITED(*status)) << DescribeWaitStatus(*status);
  EXPECT_EQ(WEXITSTATUS(*status), 7) << DescribeWaitStatus(*status) << "\n" << TailOfFile(log);
  EXPECT_TRUE(Lines(ctr().Run({"containers", "ls", "-q"}).out).empty()) << "--rm removed it";

  // A signal the task does not trap: berth itself survives it (unproxied, SIGUSR1 would end berth), and when the
  // task is killed berth exits 128+9, as a shell reports it.
  argv = {std::string(BERTH_BIN_DIR) + "/berth", "--address", daemon_.socket(), "--namespace", ns_, "run", "--rm",
          "--name", "plain", kBusybox, "sh", "-c", "echo ready; sleep 1000"};
  std::string log2 = scratch_.Join("run2.log");
  child = Child::Start(argv, {.log_path = log2}, &error);
  ASSERT_TRUE(child) << error;
  ASSERT_TRUE(WaitFor([&] { return TailOfFile(log2).find("ready") != std::string::npos; }, std::chrono::seconds(30)));
  ASSERT_TRUE(child->Signal(SIGUSR1));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(child->Running()) << "berth run died of a signal meant for its task\n" << TailOfFile(log2);
  // sh is the container's pid 1, which the kernel spares signals it has no handler for (as in docker).
  EXPECT_EQ(TaskStatus("plain"), "RUNNING");
  ASSERT_CTR_OK(ctr().Run({"tasks", "kill", "-s", "SIGKILL", "plain"}));
  status = child->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value()) << TailOfFile(log2);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 137) << DescribeWaitStatus(*status);
}

}  // namespace
}  // namespace berth::testing
