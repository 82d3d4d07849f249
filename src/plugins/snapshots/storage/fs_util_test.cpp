#include "plugins/snapshots/storage/fs_util.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace berth::snapshots::storage {
namespace {

TEST(FsUtilTest, DiskUsageCountsHardLinksOnceAndRemoveTreeNeverFollowsSymlinks) {
  std::string pattern = "/tmp/berth-fsutil-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path dir = pattern;
  const std::filesystem::path tree = dir / "tree";
  const std::filesystem::path outside = dir / "outside";
  std::filesystem::create_directories(tree / "sub");
  std::filesystem::create_directories(outside);
  std::ofstream(outside / "keep") << "keep";
  std::ofstream(tree / "sub" / "file") << std::string(10000, 'x');
  ASSERT_EQ(::link((tree / "sub" / "file").c_str(), (tree / "link").c_str()), 0);
  ASSERT_EQ(::symlink(outside.c_str(), (tree / "sym").c_str()), 0);

  auto usage = DiskUsage(tree);
  ASSERT_TRUE(usage.ok()) << usage.status();
  // tree, sub, file (= link), sym.
  EXPECT_EQ(usage->inodes, 4);
  EXPECT_GE(usage->size, 10000);

  ASSERT_TRUE(RemoveTree(tree).ok());
  EXPECT_FALSE(std::filesystem::exists(tree));
  EXPECT_TRUE(std::filesystem::exists(outside / "keep"));
  EXPECT_TRUE(RemoveTree(tree).ok()) << "a missing tree is already removed";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace berth::snapshots::storage
