// Issue 4 acceptance (the shim half): a real containerd 1.6 runs containers through containerd-shim-berth-v1
// (`ctr run --runtime io.containerd.berth.v1`), for foreground, detached and terminal tasks, exec, pause/resume,
// metrics, a SIGKILLed shim, and many containers in a row; where it helps, the same commands run through
// containerd's own runc shim and the observable results are compared.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "tests/util/ctr.h"
#include "tests/util/daemon.h"
#include "tests/util/files.h"
#include "tests/util/image.h"
#include "tests/util/mounts.h"
#include "tests/util/processes.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kImage[] = "docker.io/library/bbox:v1";
constexpr char kBerth[] = "io.containerd.berth.v1";
constexpr char kRunc[] = "io.containerd.runc.v2";

class ShimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "the shim tests run containers: they need root";
    ASSERT_TRUE(daemon_.Start());
    // A busybox image, made from the host's static busybox.
    ImageSpec spec{.name = kImage};
    LayerSpec layer{.compression = "gzip"};
    layer.entries = {Dir("bin"), File("bin/busybox", ReadFileOrDie("/bin/busybox"), 0755)};
    for (const char* applet : {"sh", "echo", "sleep", "cat", "true", "tty", "stty", "tail"}) {
      layer.entries.push_back(Symlink("busybox", std::string("bin/") + applet));
    }
    for (const char* dir : {"proc", "sys", "dev", "etc", "tmp"}) layer.entries.push_back(Dir(dir));
    spec.custom_layers = {layer};
    GeneratedImage image;
    ASSERT_TRUE(GenerateImage(spec, scratch_.Join("image"), &image));
    auto imported = ctr().Run({"images", "import", image.archive});
    ASSERT_CTR_OK(imported);
  }

  void TearDown() override {
    // Leave nothing running whatever the test did: tasks killed and deleted, containers removed.
    for (const auto& line : Lines(ctr().Run({"containers", "ls", "-q"}).out)) {
      ctr().Run({"tasks", "kill", "-s", "SIGKILL", line});
      WaitFor([&] { return TaskStatus(line) != "RUNNING"; }, std::chrono::seconds(10));
      ctr().Run({"tasks", "delete", line});
      ctr().Run({"containers", "rm", line});
    }
  }

  Ctr ctr() const { return daemon_.ctr(ns_); }

  RunResult Run(const std::string& runtime, const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"run", "--runtime", runtime};
    argv.insert(argv.end(), args.begin(), args.end());
    return ctr().Run(argv);
  }

  // The STATUS column of `tasks ls` for id ("" if not listed).
  std::string TaskStatus(const std::string& id) const {
    auto fields = Fields(RowWithKey(ctr().Run({"tasks", "ls"}).out, id));
    return fields.size() >= 3 ? fields[2] : "";
  }

  std::vector<pid_t> Shims(const std::string& id) const {
    return ProcessesMatching({"containerd-shim-berth-v1", "-namespace " + ns_, "-id " + id, daemon_.socket()});
  }

  std::string BundleDir() const { return daemon_.state() + "/io.containerd.runtime.v2.task/" + ns_; }

  Daemon daemon_{Daemon::Options{.kind = DaemonKind::kContainerd, .path_prefix = BERTH_BIN_DIR}};
  TempDir scratch_{"berth-shim-it"};
  // Unique per test: runc's default cgroup path is /<namespace>/<id>, shared by parallel tests.
  std::string ns_ = std::string("shim-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
};

TEST_F(ShimTest, RunRmPrintsOutputAndExitsWithTheProcessStatus) {
  auto hi = Run(kBerth, {"--rm", kImage, "hi", "echo", "hi"});
  ASSERT_CTR_OK(hi);
  EXPECT_EQ(hi.out, "hi\n");
  auto seven = Run(kBerth, {"--rm", kImage, "seven", "sh", "-c", "echo out; echo err >&2; exit 7"});
  EXPECT_EQ(seven.exit_code, 7) << seven.Describe();
  EXPECT_EQ(seven.out, "out\n");
  EXPECT_THAT(seven.err, HasSubstr("err\n"));
  // containerd's own shim gives the same observable result.
  auto peer = Run(kRunc, {"--rm", kImage, "seven-runc", "sh", "-c", "echo out; echo err >&2; exit 7"});
  EXPECT_EQ(peer.exit_code, seven.exit_code) << peer.Describe();
  EXPECT_EQ(peer.out, seven.out);
  // stdin reaches the process, and its EOF too.
  auto cat = ctr().Run({"run", "--rm", "--runtime", kBerth, kImage, "cat", "cat"},
                       {.stdin_data = std::string("piped through\n")});
  ASSERT_CTR_OK(cat);
  EXPECT_EQ(cat.out, "piped through\n");
  EXPECT_TRUE(Shims("hi").empty());
}

TEST_F(ShimTest, DetachedTaskLifecycleThroughCtrTasks) {
  ASSERT_CTR_OK(Run(kBerth, {"-d", kImage, "d1", "sleep", "1000"}));
  EXPECT_EQ(TaskStatus("d1"), "RUNNING");
  auto fields = Fields(RowWithKey(ctr().Run({"tasks", "ls"}).out, "d1"));
  ASSERT_GE(fields.size(), 2u);
  std::string pid = fields[1];
  auto ps = ctr().Run({"tasks", "ps", "d1"});
  ASSERT_CTR_OK(ps);
  EXPECT_THAT(ps.out, HasSubstr(pid));

  auto exec = ctr().Run({"tasks", "exec", "--exec-id", "e1", "d1", "sh", "-c", "echo from-exec; exit 3"});
  EXPECT_EQ(exec.exit_code, 3) << exec.Describe();
  EXPECT_EQ(exec.out, "from-exec\n");

  ASSERT_CTR_OK(ctr().Run({"tasks", "pause", "d1"}));
  EXPECT_EQ(TaskStatus("d1"), "PAUSED");
  EXPECT_CTR_FAILS(ctr().Run({"tasks", "pause", "d1"}));  // already paused: FailedPrecondition
  ASSERT_CTR_OK(ctr().Run({"tasks", "resume", "d1"}));
  EXPECT_EQ(TaskStatus("d1"), "RUNNING");

  auto metrics = ctr().Run({"tasks", "metrics", "d1"});
  ASSERT_CTR_OK(metrics);
  EXPECT_THAT(metrics.out, HasSubstr("pids.current"));

  // SIGTERM is ignored by a pid-1 sleep (no handler), as with runc's shim; SIGKILL stops it.
  ASSERT_CTR_OK(ctr().Run({"tasks", "kill", "-s", "SIGKILL", "d1"}));
  ASSERT_TRUE(WaitFor([&] { return TaskStatus("d1") == "STOPPED"; }, std::chrono::seconds(10)))
      << ctr().Run({"tasks", "ls"}).out;
  ASSERT_CTR_OK(ctr().Run({"tasks", "delete", "d1"}));
  EXPECT_EQ(TaskStatus("d1"), "");
  EXPECT_TRUE(WaitFor([&] { return Shims("d1").empty(); }, std::chrono::seconds(10)));
  ASSERT_CTR_OK(ctr().Run({"containers", "rm", "d1"}));
}

TEST_F(ShimTest, TerminalRunGoesThroughAPty) {
  // `script` gives ctr a terminal, so `ctr run -t` puts its own terminal in raw mode and asks for a pty.
  std::string command = "ctr --address " + daemon_.socket() + " --namespace " + ns_ + " run --rm -t --runtime " +
                        kBerth + " " + kImage + " t1 sh -c 'tty; exit 5'";
  auto r = RunCommand({"script", "-qec", command, "/dev/null"}, {.timeout = std::chrono::seconds(60)});
  EXPECT_EQ(r.exit_code, 5) << r.Describe();
  EXPECT_THAT(r.out, HasSubstr("/dev/pts/"));
  EXPECT_TRUE(WaitFor([&] { return Shims("t1").empty(); }, std::chrono::seconds(10)));
}

TEST_F(ShimTest, KilledShimIsCleanedUpByTheDeleteAction) {
  ASSERT_CTR_OK(Run(kBerth, {"-d", kImage, "k1", "sleep", "1000"}));
  auto fields = Fields(RowWithKey(ctr().Run({"tasks", "ls"}).out, "k1"));
  ASSERT_GE(fields.size(), 2u);
  pid_t task_pid = std::stoi(fields[1]);
  auto shims = Shims("k1");
  ASSERT_EQ(shims.size(), 1u);
  std::string rootfs = BundleDir() + "/k1/rootfs";
  EXPECT_FALSE(MountPointsUnder(rootfs).empty());

  ASSERT_EQ(::kill(shims[0], SIGKILL), 0);
  // containerd notices the disconnect and runs `containerd-shim-berth-v1 ... delete`: the task goes away,
  // its processes are killed and its rootfs unmounted.
  EXPECT_TRUE(WaitFor([&] { return TaskStatus("k1").empty(); }, std::chrono::seconds(20)))
      << ctr().Run({"tasks", "ls"}).out;
  EXPECT_TRUE(WaitFor([&] { return ::kill(task_pid, 0) != 0; }, std::chrono::seconds(10)))
      << "container process " << task_pid << " survived its shim";
  EXPECT_TRUE(MountPointsUnder(rootfs).empty());
  EXPECT_FALSE(std::filesystem::exists(BundleDir() + "/k1"));
  ASSERT_CTR_OK(ctr().Run({"containers", "rm", "k1"}));
  // The container id can be used again.
  auto again = Run(kBerth, {"--rm", kImage, "k1", "echo", "again"});
  ASSERT_CTR_OK(again);
  EXPECT_EQ(again.out, "again\n");
}

TEST_F(ShimTest, TwentyContainersLeaveNoMountsShimsOrDirectories) {
  for (int i = 0; i < 20; ++i) {
    std::string id = "many" + std::to_string(i);
    auto r = Run(kBerth, {"--rm", kImage, id, "echo", id});
    ASSERT_CTR_OK(r);
    EXPECT_EQ(r.out, id + "\n");
  }
  EXPECT_TRUE(MountPointsUnder(daemon_.dir()).empty());
  EXPECT_TRUE(WaitFor([&] { return ProcessesMatching({"containerd-shim-berth-v1", daemon_.socket()}).empty(); },
                      std::chrono::seconds(10)));
  std::vector<std::string> left;
  if (std::filesystem::exists(BundleDir())) {
    for (const auto& e : std::filesystem::directory_iterator(BundleDir())) left.push_back(e.path());
  }
  EXPECT_TRUE(left.empty()) << left.front();
  EXPECT_TRUE(Lines(ctr().Run({"containers", "ls", "-q"}).out).empty());
}

TEST_F(ShimTest, IdleShimStaysSmall) {
  ASSERT_CTR_OK(Run(kBerth, {"-d", kImage, "idle", "sleep", "1000"}));
  auto shims = Shims("idle");
  ASSERT_EQ(shims.size(), 1u);
  ::sync();
  std::ifstream in("/proc/" + std::to_string(shims[0]) + "/smaps_rollup");
  std::map<std::string, long> kb;
  std::string key;
  long value;
  std::string unit;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    if (fields >> key >> value) kb[key] = value;
  }
  // The acceptance bar for an idle shim (containerd-shim-runc-v2 here: about 13 MiB RSS).
  EXPECT_GT(kb["Rss:"], 0);
  EXPECT_LE(kb["Rss:"], 4096) << "idle shim RSS in KiB";
  EXPECT_LE(kb["Private_Dirty:"], 1024) << "idle shim private dirty memory in KiB";
  std::cout << "idle shim: Rss " << kb["Rss:"] << " KiB, Private_Dirty " << kb["Private_Dirty:"] << " KiB\n";
}

TEST_F(ShimTest, OomKillIsPublishedAsTasksOom) {
  std::string error;
  auto events = ctr().Start({"events"}, scratch_.Join("events.log"), &error);
  ASSERT_TRUE(events) << error;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // subscribed before the container starts
  // `tail` keeps the current line in memory, and /dev/zero has no newline: it grows until the limit kills it.
  auto r = Run(kBerth, {"--rm", "--memory-limit", std::to_string(16 << 20), kImage, "oom", "tail", "/dev/zero"});
  EXPECT_EQ(r.exit_code, 137) << r.Describe();
  EXPECT_TRUE(WaitFor([&] { return TailOfFile(scratch_.Join("events.log")).find("/tasks/oom") != std::string::npos; },
                      std::chrono::seconds(10)))
      << TailOfFile(scratch_.Join("events.log"));
}

TEST_F(ShimTest, TaskSurvivesContainerdRestart) {
  ASSERT_CTR_OK(Run(kBerth, {"-d", kImage, "r1", "sleep", "1000"}));
  auto before = Shims("r1");
  ASSERT_EQ(before.size(), 1u);
  ASSERT_TRUE(daemon_.Restart());
  // containerd reconnects through the bundle's `address` file and Connect; the same shim keeps the task.
  EXPECT_EQ(TaskStatus("r1"), "RUNNING");
  EXPECT_EQ(Shims("r1"), before);
  auto exec = ctr().Run({"tasks", "exec", "--exec-id", "after", "r1", "echo", "still-here"});
  ASSERT_CTR_OK(exec);
  EXPECT_EQ(exec.out, "still-here\n");
  ASSERT_CTR_OK(ctr().Run({"tasks", "kill", "-s", "SIGKILL", "r1"}));
  ASSERT_TRUE(WaitFor([&] { return TaskStatus("r1") == "STOPPED"; }, std::chrono::seconds(10)));
  ASSERT_CTR_OK(ctr().Run({"tasks", "delete", "r1"}));
  EXPECT_TRUE(WaitFor([&] { return Shims("r1").empty(); }, std::chrono::seconds(10)));
}

}  // namespace
}  // namespace berth::testing
