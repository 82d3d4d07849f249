// OverlaySnapshotter specifics: on-disk layout, mount options, and crash leftovers.
#include "plugins/snapshots/overlay/overlay_snapshotter.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>

#include "core/snapshots/testsuite/scoped_mount.h"

namespace berth::snapshots {
namespace {

class OverlayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/tmp/berth-overlay-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    root_ = dir_ / "root";
    Reopen();
  }
  void TearDown() override {
    sn_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    sn_.reset();
    auto sn = OverlaySnapshotter::Open(root_);
    ASSERT_TRUE(sn.ok()) << sn.status();
    sn_ = std::move(*sn);
  }
  std::vector<std::string> Entries() {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(root_ / "snapshots")) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  Context ctx_;
  std::filesystem::path dir_;
  std::filesystem::path root_;
  std::unique_ptr<OverlaySnapshotter> sn_;
};

mode_t ModeOf(const std::filesystem::path& p) {
  struct stat st;
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

TEST_F(OverlayTest, LayoutAndMounts) {
  EXPECT_EQ(ModeOf(root_), 0700u);
  EXPECT_EQ(ModeOf(root_ / "snapshots"), 0700u);
  EXPECT_TRUE(std::filesystem::exists(root_ / "metadata" / "data.mdb"));

  auto m1 = sn_->Prepare(ctx_, "../../evil key", "", {});
  ASSERT_TRUE(m1.ok()) << m1.status();
  EXPECT_EQ(Entries(), std::vector<std::string>{"1"}) << "keys never become paths";
  EXPECT_EQ(ModeOf(root_ / "snapshots/1/fs"), 0755u);
  EXPECT_EQ(ModeOf(root_ / "snapshots/1/work"), 0711u);
  ASSERT_EQ(m1->size(), 1u);
  EXPECT_EQ((*m1)[0], (mount::Mount{.type = "bind",
                                    .source = (root_ / "snapshots/1/fs").string(),
                                    .options = {"rw", "rbind"}}));
  ASSERT_TRUE(sn_->Commit(ctx_, "base", "../../evil key", {}).ok());

  auto v1 = sn_->View(ctx_, "v1", "base", {});
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ((*v1)[0], (mount::Mount{.type = "bind",
                                    .source = (root_ / "snapshots/1/fs").string(),
                                    .options = {"ro", "rbind"}}));
  auto a = sn_->Prepare(ctx_, "a", "base", {});
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ((*a)[0].type, "overlay");
  EXPECT_EQ((*a)[0].source, "overlay");
  std::vector<std::string> want;
  struct stat st;
  if (::stat("/sys/module/overlay/parameters/index", &st) == 0) want.push_back("index=off");
  want.push_back("workdir=" + (root_ / "snapshots/3/work").string());
  want.push_back("upperdir=" + (root_ / "snapshots/3/fs").string());
  want.push_back("lowerdir=" + (root_ / "snapshots/1/fs").string());
  EXPECT_EQ((*a)[0].options, want);
  ASSERT_TRUE(sn_->Commit(ctx_, "top", "a", {}).ok());
  auto v2 = sn_->View(ctx_, "v2", "top", {});
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ((*v2)[0].options.back(),
            "lowerdir=" + (root_ / "snapshots/3/fs").string() + ":" + (root_ / "snapshots/1/fs").string());
  EXPECT_EQ(std::count_if((*v2)[0].options.begin(), (*v2)[0].options.end(),
                          [](const std::string& o) { return o.starts_with("upperdir="); }),
            0);
}

TEST_F(OverlayTest, DiskLayoutNamesEachSnapshotsDirectory) {
  ASSERT_TRUE(sn_->Prepare(ctx_, "a", "", {}).ok());
  ASSERT_TRUE(sn_->Commit(ctx_, "base", "a", {}).ok());
  EXPECT_EQ(sn_->RootDir(), root_);
  EXPECT_EQ(sn_->SnapshotsDir(), root_ / "snapshots");
  auto dir = sn_->SnapshotDir("base");
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(*dir, root_ / "snapshots/1");
  auto layer = sn_->LayerDir("base");
  ASSERT_TRUE(layer.ok()) << layer.status();
  EXPECT_EQ(*layer, root_ / "snapshots/1/fs");
  EXPECT_TRUE(absl::IsNotFound(sn_->SnapshotDir("nope").status()));
}

TEST_F(OverlayTest, CleanupRemovesOnlyLeftovers) {
  ASSERT_TRUE(sn_->Prepare(ctx_, "live", "", {}).ok());
  for (const char* leftover : {"new-abc123", "rm-99", "42"}) {
    std::filesystem::create_directories(root_ / "snapshots" / leftover / "fs");
    std::ofstream(root_ / "snapshots" / leftover / "fs" / "file") << "junk";
  }
  ASSERT_TRUE(sn_->Cleanup(ctx_).ok());
  EXPECT_EQ(Entries(), std::vector<std::string>{"1"});
}

// A crash after Remove renamed the dir but before its transaction committed: the record is still there,
// so the next Open must put the dir back.
TEST_F(OverlayTest, UncommittedRemovalIsUndoneAtOpen) {
  auto m = sn_->Prepare(ctx_, "a", "", {});
  ASSERT_TRUE(m.ok());
  std::ofstream(root_ / "snapshots/1/fs/data") << "precious";
  sn_.reset();
  std::filesystem::rename(root_ / "snapshots/1", root_ / "snapshots/rm-1");
  Reopen();
  EXPECT_EQ(Entries(), std::vector<std::string>{"1"});
  ASSERT_TRUE(sn_->Cleanup(ctx_).ok());
  EXPECT_TRUE(std::filesystem::exists(root_ / "snapshots/1/fs/data"));
  ASSERT_TRUE(sn_->Remove(ctx_, "a").ok());
  EXPECT_TRUE(Entries().empty());
}

// A snapshot's dir exists only under its id once created, and is gone after Remove.
TEST_F(OverlayTest, RemoveDeletesTheDirectory) {
  ASSERT_TRUE(sn_->Prepare(ctx_, "a", "", {}).ok());
  ASSERT_TRUE(sn_->Commit(ctx_, "c", "a", {}).ok());
  ASSERT_TRUE(sn_->Prepare(ctx_, "b", "c", {}).ok());
  EXPECT_EQ(Entries(), (std::vector<std::string>{"1", "2"}));
  ASSERT_TRUE(sn_->Remove(ctx_, "b").ok());
  EXPECT_EQ(Entries(), std::vector<std::string>{"1"});
  ASSERT_TRUE(sn_->Remove(ctx_, "c").ok());
  EXPECT_TRUE(Entries().empty());
}

TEST_F(OverlayTest, ChildUpperTakesParentRootOwner) {
  auto m = sn_->Prepare(ctx_, "a", "", {});
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(::chown((root_ / "snapshots/1/fs").c_str(), 123, 456), 0);
  ASSERT_TRUE(sn_->Commit(ctx_, "c", "a", {}).ok());
  ASSERT_TRUE(sn_->Prepare(ctx_, "b", "c", {}).ok());
  struct stat st;
  ASSERT_EQ(::stat((root_ / "snapshots/2/fs").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 123u);
  EXPECT_EQ(st.st_gid, 456u);
}

}  // namespace
}  // namespace berth::snapshots
