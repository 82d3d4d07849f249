#include "df/tree_size.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace berth::df {
namespace {

namespace fs = std::filesystem;

class TreeSizeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "berth-tree-size-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const fs::path& p, size_t bytes) { std::ofstream(p, std::ios::binary) << std::string(bytes, 'x'); }
  int64_t Du(const fs::path& p) {
    std::string cmd = "du -sb '" + p.string() + "' > '" + (dir_.string() + ".du") + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    std::ifstream in(dir_.string() + ".du");
    int64_t n = -1;
    in >> n;
    fs::remove(dir_.string() + ".du");
    return n;
  }
  fs::path dir_;
};

TEST_F(TreeSizeTest, CountsAsDuSbDoesWithHardLinksOnceAndSymlinksUnfollowed) {
  fs::create_directories(dir_ / "a/b");
  Write(dir_ / "a/file", 5000);
  Write(dir_ / "a/b/big", 100000);
  fs::create_hard_link(dir_ / "a/b/big", dir_ / "a/linked");
  fs::create_symlink("/usr", dir_ / "a/usr");  // must not be followed
  TreeSizer sizer;
  absl::StatusOr<int64_t> size = sizer.Size(dir_.string());
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, Du(dir_));
  EXPECT_LT(*size, 200000) << "the hard link is counted once";
}

TEST_F(TreeSizeTest, AFileLinkedFromTwoTreesCountsOnceAcrossCalls) {
  fs::create_directories(dir_ / "x");
  fs::create_directories(dir_ / "y");
  Write(dir_ / "x/f", 70000);
  fs::create_hard_link(dir_ / "x/f", dir_ / "y/f");
  TreeSizer sizer;
  int64_t x = *sizer.Size((dir_ / "x").string());
  int64_t y = *sizer.Size((dir_ / "y").string());
  EXPECT_GE(x, 70000);
  EXPECT_LT(y, 70000);
}

TEST_F(TreeSizeTest, MissingPathIsNotFound) {
  TreeSizer sizer;
  EXPECT_TRUE(absl::IsNotFound(sizer.Size((dir_ / "nope").string()).status()));
}

}  // namespace
}  // namespace berth::df
