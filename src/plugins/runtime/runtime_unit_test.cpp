// Unit tests of the runtime manager's mechanisms: shim binary names, shim commands under a deadline, bundles and
// their recorded exits, and the pidfd watcher.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <filesystem>
#include <thread>

#include "plugins/runtime/bundle.h"
#include "plugins/runtime/command.h"
#include "plugins/runtime/shim_binary.h"
#include "plugins/runtime/work_queue.h"
#include "plugins/runtime/watcher.h"

namespace berth::runtime {
namespace {

using ::testing::HasSubstr;

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "berth-runtime-XXXXXX").string();
  return ::mkdtemp(tmpl.data());
}

TEST(ShimBinaryTest, NamesAsContainerd) {
  EXPECT_EQ(*ShimBinaryName("io.containerd.runc.v2"), "containerd-shim-runc-v2");
  EXPECT_EQ(*ShimBinaryName("io.containerd.berth.v1"), "containerd-shim-berth-v1");
  EXPECT_TRUE(absl::IsInvalidArgument(ShimBinaryName("runc").status()));
  EXPECT_TRUE(absl::IsNotFound(ResolveShimBinary("io.containerd.nosuch.v9").status()));
  EXPECT_EQ(*ResolveShimBinary("/bin/true"), "/bin/true");
}

TEST(CommandTest, OutputStdinExitCodeAndDeadline) {
  auto r = RunCommand({.argv = {"/bin/sh", "-c", "cat; echo err >&2; exit 3"}, .stdin_data = "in"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "in");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->exit_code, 3);
  auto merged = RunCommand({.argv = {"/bin/sh", "-c", "echo a; echo b >&2"}, .merge_stderr = true});
  EXPECT_EQ(merged->out, "a\nb\n");
  // No fd of ours leaks into the child.
  int null_fd = ::open("/dev/null", O_RDONLY);
  int leaked = ::fcntl(null_fd, F_DUPFD, 100);  // deliberately without O_CLOEXEC
  ::close(null_fd);
  auto fds = RunCommand({.argv = {"/bin/sh", "-c", "ls /proc/self/fd"}});
  ::close(leaked);
  EXPECT_THAT(fds->out, ::testing::Not(HasSubstr(std::to_string(leaked) + "\n")));
  auto start = std::chrono::steady_clock::now();
  auto slow = RunCommand({.argv = {"/bin/sleep", "10"}, .timeout = std::chrono::milliseconds(200)});
  EXPECT_TRUE(absl::IsDeadlineExceeded(slow.status())) << slow.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  // Output closed but the process lives on (as a daemonizing `start` could): the deadline still holds.
  start = std::chrono::steady_clock::now();
  auto silent = RunCommand({.argv = {"/bin/sh", "-c", "exec >&- 2>&-; exec /bin/sleep 10"},
                            .timeout = std::chrono::milliseconds(200)});
  EXPECT_TRUE(absl::IsDeadlineExceeded(silent.status())) << silent.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(BundleTest, CreateRecordReleaseRemove) {
  std::string root = TempDir();
  Bundle bundle(root, "ns", "c1");
  ASSERT_TRUE(bundle.Create(R"({"ociVersion":"1.0.2"})").ok());
  EXPECT_TRUE(absl::IsAlreadyExists(bundle.Create("{}")));
  struct stat st;
  ASSERT_EQ(::stat(bundle.dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((root + "/ns").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((bundle.dir() + "/log").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  ASSERT_TRUE(bundle.OpenLog().ok());

  EXPECT_FALSE(bundle.ReadExit()->has_value());
  RecordedExit exit{.pid = 42,
                    .exit_status = 137,
                    .exited_at = absl::FromUnixSeconds(1000),
                    .reason = "shim died",
                    .stop_reason = "killed by SIGKILL"};
  ASSERT_TRUE(bundle.WriteExit(exit).ok());
  ASSERT_TRUE(bundle.Release().ok());
  // Only the recorded exit is left, and it reads back.
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(bundle.dir())) left.push_back(e.path().filename());
  EXPECT_THAT(left, ::testing::ElementsAre("exit.json"));
  auto read = bundle.ReadExit();
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->pid, 42u);
  EXPECT_EQ((*read)->exit_status, 137u);
  EXPECT_EQ((*read)->exited_at, absl::FromUnixSeconds(1000));
  EXPECT_EQ((*read)->reason, "shim died");
  EXPECT_EQ((*read)->stop_reason, "killed by SIGKILL");
  ASSERT_TRUE(bundle.Remove().ok());
  EXPECT_FALSE(std::filesystem::exists(bundle.dir()));
  std::filesystem::remove_all(root);
}

// A bundle whose rootfs is a bind mount of a directory with a file in it that must survive.
class MountedBundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to bind-mount";
    ASSERT_TRUE(std::ofstream(precious_ + "/file").good());
    ASSERT_TRUE(bundle_.Create("{}").ok());
    ASSERT_EQ(::mount(precious_.c_str(), bundle_.rootfs().c_str(), nullptr, MS_BIND, nullptr), 0);
  }
  void TearDown() override {
    ::umount2(bundle_.rootfs().c_str(), MNT_DETACH);  // if a test failed before it was unmounted
    std::filesystem::remove_all(root_);
    std::filesystem::remove_all(precious_);
  }
  std::string root_ = TempDir(), precious_ = TempDir();
  Bundle bundle_{root_, "ns", "c1"};
};

TEST_F(MountedBundleTest, RemoveNeverDeletesThroughAMountedRootfs) {
  ASSERT_TRUE(bundle_.Remove().ok());  // unmounts first
  EXPECT_TRUE(std::filesystem::exists(precious_ + "/file"));
}

TEST_F(MountedBundleTest, MovedAsideAtOnceSoTheSameIdCanBeCreatedAgain) {
  absl::StatusOr<std::string> aside = bundle_.MoveAside();
  ASSERT_TRUE(aside.ok()) << aside.status();
  EXPECT_EQ(std::filesystem::path(*aside).parent_path(), std::filesystem::path(root_) / "ns");
  EXPECT_TRUE(std::filesystem::path(*aside).filename().string().starts_with(Bundle::kAsidePrefix));
  EXPECT_FALSE(std::filesystem::exists(bundle_.dir()));
  EXPECT_FALSE(std::filesystem::exists(*aside + "/rootfs"));  // unmounted, not carried along
  EXPECT_TRUE(std::filesystem::exists(precious_ + "/file"));
  ASSERT_TRUE(bundle_.Create("{}").ok());  // the same id again, at once
  EXPECT_EQ(*Bundle(root_, "ns", "c2").MoveAside(), "");  // no bundle: nothing to move
  EXPECT_TRUE(std::filesystem::exists(bundle_.dir() + "/config.json"));
}

TEST(BundleTest, MarkedDeletedWithoutANewFile) {
  std::string root = TempDir();
  Bundle bundle(root, "ns", "c1");
  ASSERT_TRUE(bundle.Create("{}").ok());
  ASSERT_TRUE(bundle.WriteShimBinaryPath("/usr/bin/shim").ok());
  EXPECT_FALSE(bundle.MarkedDeleted());
  ASSERT_TRUE(bundle.MarkDeleted().ok());
  EXPECT_TRUE(bundle.MarkedDeleted());
  EXPECT_FALSE(bundle.ReadShimBinaryPath().ok());  // recovery does not take it for a live task
  std::filesystem::remove_all(root);
}

TEST(WorkQueueTest, RunsInOrderAndNothingAfterStop) {
  std::vector<int> ran;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  WorkQueue queue;
  queue.Post([&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
    ran.push_back(1);
  });
  for (int i = 2; i <= 3; ++i) {
    queue.Post([&, i] {
      std::lock_guard lock(mu);
      ran.push_back(i);
    });
  }
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(mu);
      if (ran.size() == 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
  queue.Stop();
  queue.Post([&] { ran.push_back(4); });  // after Stop: never runs
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(ran.size(), 3u);
}

TEST(WatcherTest, CallsBackOnceWhenTheProcessExits) {
  auto watcher = Watcher::Start();
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
  ASSERT_GE(pidfd, 0);
  std::atomic<int> calls = 0;
  ASSERT_TRUE((*watcher)->WatchExit(UniqueFd(pidfd), [&] { ++calls; }).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls, 0);
  ::kill(child, SIGKILL);
  for (int i = 0; i < 200 && calls == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(calls, 1);
  ::waitpid(child, nullptr, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls, 1);
  // Unwatched before the exit: no call.
  pid_t other = ::fork();
  if (other == 0) {
    ::pause();
    ::_exit(0);
  }
  auto token = (*watcher)->WatchExit(UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, other, 0))), [&] { ++calls; });
  ASSERT_TRUE(token.ok());
  (*watcher)->Unwatch(*token);
  ::kill(other, SIGKILL);
  ::waitpid(other, nullptr, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace berth::runtime
