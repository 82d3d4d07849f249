// Who owns a mount under the root and state (classification over a given mount table), and the two real
// operations behind it: asking a shim's socket, and unmounting (lazily only when busy).
#include "doctor/leftover_mounts.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "ttrpc/unix_socket.h"

namespace berth::doctor {
namespace {

namespace fs = std::filesystem;

MountEntry At(const std::string& point, const std::string& type = "overlay") {
  return {.mount_point = point, .fs_type = type, .source = type};
}

constexpr const char* kTasks = "/run/berth/io.containerd.runtime.v2.task";

TEST(LeftoverMounts, ClassifiesByOwner) {
  const std::vector<MountEntry> table = {
      At("/", "ext4"),
      At("/var/lib/berth", "xfs"),  // a dedicated disk for the root: fine
      At("/run/berth", "tmpfs"),
      At(std::string(kTasks) + "/default/live/rootfs"),
      At(std::string(kTasks) + "/default/dead/rootfs"),
      At(std::string(kTasks) + "/default/dead/rootfs/mnt", "bind"),
      At("/run/berth/tmpmounts/berth-diff-old"),
      At("/run/berth/tmpmounts/berth-diff-new"),
      At("/var/lib/berth/io.containerd.snapshotter.v1.overlayfs/snapshots/5/fs", "bind"),
      At("/var/lib/berthx/elsewhere", "bind"),
  };
  std::vector<std::string> asked;
  TaskAlive alive = [&](const std::string& bundle) {
    asked.push_back(bundle);
    return bundle.ends_with("/default/live");
  };
  LeftoverScope running{.root = "/var/lib/berth", .state = "/run/berth", .daemon_running = true,
                        .temp_mounts_at_start = {"/run/berth/tmpmounts/berth-diff-old"}};
  int live = 0;
  std::vector<LeftoverMount> left = FindLeftoverMounts(running, table, alive, &live);
  EXPECT_EQ(live, 1);
  EXPECT_EQ(asked, (std::vector<std::string>{std::string(kTasks) + "/default/live",
                                             std::string(kTasks) + "/default/dead"}));
  ASSERT_EQ(left.size(), 4u);
  // Deepest first: the submount before the rootfs it sits on.
  EXPECT_EQ(left[0].mount_point, "/var/lib/berth/io.containerd.snapshotter.v1.overlayfs/snapshots/5/fs");
  EXPECT_EQ(left[0].owner, "nobody");
  EXPECT_EQ(left[1].mount_point, std::string(kTasks) + "/default/dead/rootfs/mnt");
  EXPECT_EQ(left[1].owner, "task default/dead");
  EXPECT_EQ(left[2].mount_point, std::string(kTasks) + "/default/dead/rootfs");
  EXPECT_EQ(left[3].mount_point, "/run/berth/tmpmounts/berth-diff-old");
  EXPECT_NE(left[3].why.find("before the running berthd started"), std::string::npos) << left[3].why;

  // With no berthd on the root, every temporary mount is a leftover.
  LeftoverScope stopped{.root = "/var/lib/berth", .state = "/run/berth"};
  int temp = 0;
  for (const LeftoverMount& m : FindLeftoverMounts(stopped, table, alive)) temp += m.owner == "a diff call of berthd";
  EXPECT_EQ(temp, 2);
}

class RealMountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "berth-doctor-mounts-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    for (int i = 0; i < 4 && ::umount2((dir_ + "/mnt").c_str(), MNT_DETACH) == 0; ++i) {
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string dir_;
};

TEST_F(RealMountsTest, ShimAnswersOnlyWhileSomeoneListens) {
  const std::string bundle = dir_ + "/io.containerd.runtime.v2.task/ns/id";
  fs::create_directories(bundle);
  EXPECT_FALSE(ShimAnswers(bundle));  // no address file
  const std::string socket = dir_ + "/shim.sock";
  std::ofstream(bundle + "/address") << "unix://" << socket;
  EXPECT_FALSE(ShimAnswers(bundle));  // nothing there
  {
    auto listener = ttrpc::ListenUnix(socket);
    ASSERT_TRUE(listener.ok()) << listener.status();
    EXPECT_TRUE(ShimAnswers(bundle));
  }
  EXPECT_FALSE(ShimAnswers(bundle));  // the socket file stays, its listener is gone
}

TEST_F(RealMountsTest, UnmountsAndDetachesOnlyWhenBusy) {
  if (::geteuid() != 0) GTEST_SKIP() << "mount needs root";
  const std::string mnt = dir_ + "/mnt";
  fs::create_directories(mnt);
  ASSERT_EQ(::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m"), 0);
  auto done = UnmountLeftover(mnt);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(*done, "unmounted");
  EXPECT_TRUE(MountPointsBelow(dir_).empty());

  ASSERT_EQ(::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m"), 0);
  UniqueFd busy(::open((mnt + "/held").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600));
  ASSERT_TRUE(busy.valid());
  auto lazy = UnmountLeftover(mnt);
  ASSERT_TRUE(lazy.ok()) << lazy.status();
  EXPECT_NE(lazy->find("detached lazily"), std::string::npos) << *lazy;
  EXPECT_TRUE(MountPointsBelow(dir_).empty());

  auto gone = UnmountLeftover(mnt);
  EXPECT_FALSE(gone.ok());
  EXPECT_NE(std::string(gone.status().message()).find(mnt), std::string::npos) << gone.status();
}

}  // namespace
}  // namespace berth::doctor
