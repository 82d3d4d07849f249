#include "shim/rootfs.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace berth::shim {
namespace {

namespace fs = std::filesystem;

class RootfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting needs root";
    char tmpl[] = "/tmp/berth-rootfs-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    target_ = dir_ + "/rootfs";
    fs::create_directories(target_);
  }
  void TearDown() override {
    if (dir_.empty()) return;
    IgnoreError(UnmountAll(target_));
    fs::remove_all(dir_);
  }
  static void IgnoreError(const absl::Status&) {}

  std::string dir_, target_;
};

TEST_F(RootfsTest, OverlayWithMoreLowerdirsThanAPageHolds) {
  // 60 layers with long paths: the lowerdir option alone is well over 4096 bytes.
  std::string lowerdir;
  for (int i = 0; i < 60; ++i) {
    std::string layer = fs::path(dir_) / ("layer-with-a-rather-long-name-to-fill-the-page-" + std::to_string(i));
    fs::create_directories(layer);
    std::ofstream(layer + "/file" + std::to_string(i)) << i;
    lowerdir = layer + (lowerdir.empty() ? "" : ":") + lowerdir;  // the first listed is the top layer
  }
  ASSERT_GT(lowerdir.size(), MountDataLimit());
  fs::create_directories(dir_ + "/upper");
  fs::create_directories(dir_ + "/work");
  Mount overlay{.type = "overlay", .source = "overlay",
                .options = {"index=off", "workdir=" + dir_ + "/work", "upperdir=" + dir_ + "/upper",
                            "lowerdir=" + lowerdir}};
  auto s = MountAll({overlay}, target_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(fs::exists(target_ + "/file0"));   // the bottom layer
  EXPECT_TRUE(fs::exists(target_ + "/file59"));  // the top layer
  ASSERT_TRUE(UnmountAll(target_).ok());
  EXPECT_FALSE(fs::exists(target_ + "/file0"));
}

TEST_F(RootfsTest, ReadOnlyBindAndIdempotentUnmount) {
  fs::create_directories(dir_ + "/src");
  std::ofstream(dir_ + "/src/hello") << "hi";
  ASSERT_TRUE(MountAll({{.type = "bind", .source = dir_ + "/src", .options = {"rbind", "ro"}}}, target_).ok());
  EXPECT_TRUE(fs::exists(target_ + "/hello"));
  EXPECT_NE(::access((target_ + "/hello").c_str(), W_OK), 0);  // read-only took effect
  ASSERT_TRUE(UnmountAll(target_).ok());
  EXPECT_TRUE(UnmountAll(target_).ok());  // nothing mounted: still OK
  EXPECT_TRUE(UnmountAll(dir_ + "/does-not-exist").ok());
}

TEST_F(RootfsTest, FailedMountNamesTheTarget) {
  auto s = MountAll({{.type = "overlay", .source = "overlay", .options = {"lowerdir=/nonexistent-berth"}}}, target_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find(target_), std::string::npos) << s;
}

}  // namespace
}  // namespace berth::shim
