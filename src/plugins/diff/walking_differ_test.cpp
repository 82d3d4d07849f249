#include "plugins/diff/walking_differ.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/scope_guard.h"
#include "plugins/diff/apply_test_fixture.h"

namespace berth::diff::testing {
namespace {

namespace fs = std::filesystem;

class WalkingDifferTest : public ApplyFixture {
 protected:
  void SetUp() override {
    ApplyFixture::SetUp();
    differ_ = std::make_unique<WalkingDiffer>(store_.get(), WalkingDifferOptions{.temp_mount_dir = tmp_.path()});
    base_layer_ = TarBuilder()
                      .Dir("etc/", {.mode = 0755})
                      .File("etc/passwd", "root:x:0:0", {.mtime = 1000})
                      .File("etc/gone", "bye")
                      .Dir("var/", {.mode = 0755})
                      .Dir("var/lib/", {.mode = 0700, .uid = 5})
                      .File("var/lib/db", std::string(100000, 'd'))
                      .File("bin/tool", "tool", {.mode = 0755})
                      .Hardlink("bin/tool2", "bin/tool", {.mode = 0755})
                      .Dir("opaque/")
                      .File("opaque/old", "old")
                      .Build();
  }

  // A fresh directory holding the base layer.
  std::string BaseCopy(const std::string& name) {
    std::string dir = tmp_.Sub(name);
    fs::create_directories(dir);
    auto desc = PutBlob(*store_, base_layer_, "application/vnd.oci.image.layer.v1.tar");
    EXPECT_TRUE(desc.ok());
    auto applied = applier_->Apply(Context{.ns = "test"}, *desc, {Bind(dir)});
    EXPECT_TRUE(applied.ok()) << applied.status();
    return dir;
  }

  static mount::Mount Bind(const std::string& dir) {
    return {.type = "bind", .source = dir, .options = {"rw", "rbind"}};
  }

  // Changes of every kind, made in `dir` (a plain copy or a merged overlay view).
  static void Change(const std::string& dir) {
    std::ofstream(dir + "/etc/passwd") << "root:x:0:0\nuser:x:1000:1000";
    fs::remove(dir + "/etc/gone");
    fs::remove_all(dir + "/var/lib");
    fs::create_directories(dir + "/new/deep");
    std::ofstream(dir + "/new/deep/file") << "fresh";
    chmod((dir + "/new/deep/file").c_str(), 04750);
    chown((dir + "/new/deep/file").c_str(), 1000, 1000);
    setxattr((dir + "/new/deep/file").c_str(), "user.k", "v", 1, 0);
    fs::create_hard_link(dir + "/new/deep/file", dir + "/new/link");
    fs::create_symlink("../etc/passwd", dir + "/new/sym");
    mknod((dir + "/new/null").c_str(), S_IFCHR | 0666, makedev(1, 3));
    mkfifo((dir + "/new/fifo").c_str(), 0600);
    std::ofstream(dir + "/bin/tool") << "tool v2";  // both names of the inode change
    fs::remove_all(dir + "/opaque");
    fs::create_directories(dir + "/opaque");
    std::ofstream(dir + "/opaque/new") << "new";
  }

  std::unique_ptr<WalkingDiffer> differ_;
  std::string base_layer_;
};

TEST_F(WalkingDifferTest, ApplyDiffApplyRoundTripsATree) {
  const std::string lower = BaseCopy("lower");
  const std::string upper = BaseCopy("upper");
  Change(upper);
  auto diff = differ_->Compare(Context{.ns = "test"}, {Bind(lower)}, {Bind(upper)}, {});
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_EQ(diff->media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  auto info = store_->GetInfo(Context{.ns = "test"}, diff->digest);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->size, diff->size);

  const std::string replay = BaseCopy("replay");
  auto applied = applier_->Apply(Context{.ns = "test"}, *diff, {Bind(replay)});
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(ListTree(replay, /*with_mtime=*/true), ListTree(upper, /*with_mtime=*/true));
  EXPECT_EQ(Lstat(replay + "/new/link").st_ino, Lstat(replay + "/new/deep/file").st_ino);
}

TEST_F(WalkingDifferTest, OverlayUpperDiffsToTheMergedChanges) {
  const std::string lower = BaseCopy("lower");
  const std::string upper = tmp_.Sub("upper"), work = tmp_.Sub("work"), merged = tmp_.Sub("merged");
  for (const auto& d : {upper, work, merged}) fs::create_directories(d);
  const std::string opts = fmt::format("lowerdir={},upperdir={},workdir={}", lower, upper, work);
  {
    ASSERT_EQ(::mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()), 0) << strerror(errno);
    ScopeGuard unmount([&] { umount2(merged.c_str(), MNT_DETACH); });
    Change(merged);
  }
  mount::Mount overlay{.type = "overlay", .source = "overlay",
                       .options = {"workdir=" + work, "upperdir=" + upper, "lowerdir=" + lower}};
  for (const std::string mt : {"application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.oci.image.layer.v1.tar"}) {
    auto diff = differ_->Compare(Context{.ns = "test"}, {Bind(lower)}, {overlay}, {.media_type = mt});
    ASSERT_TRUE(diff.ok()) << diff.status();
    EXPECT_EQ(diff->media_type, mt);
    const std::string replay = BaseCopy("replay-" + std::to_string(mt.size()));
    auto applied = applier_->Apply(Context{.ns = "test"}, *diff, {Bind(replay)});
    ASSERT_TRUE(applied.ok()) << applied.status();
    ASSERT_EQ(::mount("overlay", merged.c_str(), "overlay", MS_RDONLY, opts.c_str()), 0) << strerror(errno);
    ScopeGuard unmount([&] { umount2(merged.c_str(), MNT_DETACH); });
    // Overlay copy-up splits hardlinks (index=off), and the merged view still shows the lower's link count
    // for the name left behind; link counts are compared in the plain test.
    auto without_nlink = [](std::map<std::string, std::string> tree) {
      for (auto& [path, desc] : tree) {
        if (size_t at = desc.find(" nlink="); at != std::string::npos) desc.erase(at, desc.find(' ', at + 1) - at);
      }
      return tree;
    };
    EXPECT_EQ(without_nlink(ListTree(replay, true)), without_nlink(ListTree(merged, true)));
  }
}

TEST_F(WalkingDifferTest, UnknownMediaTypeIsUnimplemented) {
  const std::string lower = BaseCopy("lower");
  auto diff = differ_->Compare(Context{.ns = "test"}, {Bind(lower)}, {Bind(lower)}, {.media_type = "text/plain"});
  EXPECT_EQ(diff.status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace berth::diff::testing
