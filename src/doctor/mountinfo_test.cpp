#include "doctor/mountinfo.h"

#include <gtest/gtest.h>

namespace berth::doctor {
namespace {

TEST(MountInfo, ParsesFieldsAroundOptionalOnes) {
  auto mounts = ParseMountInfo(
      "36 35 98:0 /mnt1 /mnt/parent\\040dir rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue\n"
      "112 36 0:52 / /run/berth/t/rootfs rw,relatime - overlay overlay "
      "rw,lowerdir=/l/2/fs:/l/1/fs,upperdir=/u\\054x/fs,workdir=/u/work,index=off\n");
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  ASSERT_EQ(mounts->size(), 2u);
  const MountEntry& a = (*mounts)[0];
  EXPECT_EQ(a.id, 36);
  EXPECT_EQ(a.parent_id, 35);
  EXPECT_EQ(a.root, "/mnt1");
  EXPECT_EQ(a.mount_point, "/mnt/parent dir");
  EXPECT_EQ(a.mount_options, "rw,noatime");
  EXPECT_EQ(a.fs_type, "ext3");
  EXPECT_EQ(a.source, "/dev/root");
  EXPECT_EQ(a.super_options, "rw,errors=continue");
  const MountEntry& b = (*mounts)[1];
  EXPECT_EQ(b.fs_type, "overlay");
  EXPECT_EQ(b.Option("lowerdir"), "/l/2/fs:/l/1/fs");
  EXPECT_EQ(b.Option("upperdir"), "/u,x/fs");
  EXPECT_EQ(b.Option("index"), "off");
  EXPECT_EQ(b.Option("work"), "");
}

TEST(MountInfo, RejectsLinesWithoutTheSeparator) {
  auto mounts = ParseMountInfo("36 35 98:0 / /mnt rw shared:1 ext3 /dev/root rw\n");
  ASSERT_FALSE(mounts.ok());
  EXPECT_EQ(mounts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(mounts.status().message()).find("line 1"), std::string::npos) << mounts.status();
  EXPECT_FALSE(ParseMountInfo("x 35 98:0 / /mnt rw - ext3 /dev/root rw\n").ok());
}

TEST(MountInfo, ReadsThisProcessesTable) {
  auto mounts = ReadMountInfo();
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  bool root = false;
  for (const MountEntry& m : *mounts) root = root || m.mount_point == "/";
  EXPECT_TRUE(root);
}

TEST(MountInfo, BelowIsComponentWise) {
  EXPECT_TRUE(IsBelow("/a/b/c", "/a/b"));
  EXPECT_FALSE(IsBelow("/a/bc", "/a/b"));
  EXPECT_FALSE(IsBelow("/a/b", "/a/b"));
  EXPECT_TRUE(IsAtOrBelow("/a/b", "/a/b"));
  EXPECT_TRUE(IsBelow("/x", "/"));
}

}  // namespace
}  // namespace berth::doctor
