#include "plugins/diff/fs_applier.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <filesystem>

#include "base/scope_guard.h"
#include "plugins/diff/apply_test_fixture.h"

namespace berth::diff::testing {
namespace {

std::string Xattr(const std::string& p, const std::string& key) {
  char buf[256];
  ssize_t n = lgetxattr(p.c_str(), key.c_str(), buf, sizeof(buf));
  return n < 0 ? "<none>" : std::string(buf, n);
}

using FsApplierTest = ApplyFixture;

// vfs_cap_data v2 with cap_net_bind_service permitted and effective.
const std::string kNetBindCap("\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);

TEST_F(FsApplierTest, EveryEntryTypeWithMetadata) {
  std::string tar = TarBuilder()
                        .Dir("bin/", {.mode = 0750, .uid = 7, .gid = 8, .mtime = 1000})
                        .File("bin/su", "suid!", {.mode = 04755, .uid = 0, .gid = 0, .mtime = 2000})
                        .File("bin/sg", "sgid", {.mode = 02711, .uid = 1000, .gid = 1001, .mtime = 3000})
                        .Dir("tmp/", {.mode = 01777})
                        .File("bin/x", "xattrs",
                              {.xattrs = {{"user.color", "blue"}, {"trusted.secret", "no"},
                                          {"security.capability", kNetBindCap}}})
                        .Symlink("bin/sh", "/bin/busybox", {.uid = 3, .gid = 4})
                        .Symlink("dangling", "../../nowhere")
                        .Hardlink("bin/su2", "bin/su", {.mode = 04755, .mtime = 2000})
                        .Device("dev/null", false, 1, 3, {.mode = 0666})
                        .Device("dev/loop0", true, 7, 0, {.mode = 0660, .gid = 6})
                        .Fifo("run/fifo", {.mode = 0620})
                        .Build();
  auto applied = ApplyTarToRoot(tar);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->media_type, "application/vnd.oci.image.layer.v1.tar");
  EXPECT_EQ(applied->digest, Digest::Of(tar));
  EXPECT_EQ(applied->size, static_cast<int64_t>(tar.size()));

  auto bin = Lstat(root() + "/bin");
  EXPECT_TRUE(S_ISDIR(bin.st_mode));
  EXPECT_EQ(bin.st_mode & 07777, 0750u);
  EXPECT_EQ(bin.st_uid, 7u);
  EXPECT_EQ(bin.st_mtim.tv_sec, 1000) << "directory mtime is set after its children are written";
  auto su = Lstat(root() + "/bin/su");
  EXPECT_EQ(su.st_mode & 07777, 04755u);
  EXPECT_EQ(su.st_mtim.tv_sec, 2000);
  EXPECT_EQ(su.st_nlink, 2u);
  EXPECT_EQ(Lstat(root() + "/bin/su2").st_ino, su.st_ino);
  auto sg = Lstat(root() + "/bin/sg");
  EXPECT_EQ(sg.st_mode & 07777, 02711u);
  EXPECT_EQ(sg.st_uid, 1000u);
  EXPECT_EQ(sg.st_gid, 1001u);
  EXPECT_EQ(ReadFileOrEmpty(root() + "/bin/sg"), "sgid");
  EXPECT_EQ(Lstat(root() + "/tmp").st_mode & 07777, 01777u);
  EXPECT_EQ(Xattr(root() + "/bin/x", "user.color"), "blue");
  EXPECT_EQ(Xattr(root() + "/bin/x", "trusted.secret"), "<none>") << "containerd ignores trusted.* in layers";
  EXPECT_EQ(Xattr(root() + "/bin/x", "security.capability"), kNetBindCap);
  auto sh = Lstat(root() + "/bin/sh");
  EXPECT_TRUE(S_ISLNK(sh.st_mode));
  EXPECT_EQ(sh.st_uid, 3u);
  EXPECT_EQ(std::filesystem::read_symlink(root() + "/bin/sh"), "/bin/busybox");
  EXPECT_EQ(std::filesystem::read_symlink(root() + "/dangling"), "../../nowhere");
  auto null = Lstat(root() + "/dev/null");
  EXPECT_TRUE(S_ISCHR(null.st_mode));
  EXPECT_EQ(null.st_rdev, makedev(1, 3));
  EXPECT_EQ(null.st_mode & 07777, 0666u);
  auto loop = Lstat(root() + "/dev/loop0");
  EXPECT_TRUE(S_ISBLK(loop.st_mode));
  EXPECT_EQ(loop.st_rdev, makedev(7, 0));
  EXPECT_EQ(Lstat(root() + "/dev").st_mode & 07777, 0755u) << "implicit parents are 0755";
  auto fifo = Lstat(root() + "/run/fifo");
  EXPECT_TRUE(S_ISFIFO(fifo.st_mode));
  EXPECT_EQ(fifo.st_mode & 07777, 0620u);
}

TEST_F(FsApplierTest, CompressionsGiveTheUncompressedDigestAndSize) {
  std::string tar = TarBuilder().File("a", std::string(300000, 'a')).File("b/c", "c").Build();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"application/vnd.oci.image.layer.v1.tar", tar},
      {"application/vnd.oci.image.layer.v1.tar+gzip", Gzip(tar)},
      {"application/vnd.oci.image.layer.v1.tar+zstd", Zstd(tar)},
      {"application/vnd.docker.image.rootfs.diff.tar.gzip", Gzip(tar)},
      {"application/vnd.docker.image.rootfs.diff.tar", Gzip(tar)},  // mislabelled: sniffed
      {"application/vnd.docker.image.rootfs.diff.tar", tar},
      {"application/vnd.oci.image.layer.v1.tar+gzip", Gzip(tar.substr(0, 5000)) + Gzip(tar.substr(5000))},
  };
  for (const auto& [mt, blob] : cases) {
    std::filesystem::remove_all(root());
    std::filesystem::create_directories(root());
    auto applied = ApplyBlob(blob, mt);
    ASSERT_TRUE(applied.ok()) << mt << ": " << applied.status();
    EXPECT_EQ(applied->digest, Digest::Of(tar)) << mt;
    EXPECT_EQ(applied->size, static_cast<int64_t>(tar.size())) << mt;
    EXPECT_EQ(ReadFileOrEmpty(root() + "/a"), std::string(300000, 'a')) << mt;
  }
}

TEST_F(FsApplierTest, BadInputsFailCleanly) {
  std::string tar = TarBuilder().File("a", std::string(100000, 'x')).File("b", "b").Build();
  std::string gz = Gzip(tar);
  auto truncated_gz = ApplyBlob(gz.substr(0, gz.size() / 2), "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(truncated_gz.status().code(), absl::StatusCode::kDataLoss) << truncated_gz.status();
  std::string corrupt = gz;
  corrupt[corrupt.size() - 6] ^= 0xff;  // CRC
  EXPECT_FALSE(ApplyBlob(corrupt, "application/vnd.oci.image.layer.v1.tar+gzip").ok());
  std::string zs = Zstd(tar);
  EXPECT_EQ(ApplyBlob(zs.substr(0, zs.size() - 3), "application/vnd.oci.image.layer.v1.tar+zstd").status().code(),
            absl::StatusCode::kDataLoss);
  auto wrong = ApplyBlob(tar, "application/vnd.oci.image.config.v1+json");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnimplemented) << wrong.status();
  auto truncated_tar = ApplyTarToRoot(tar.substr(0, 5000));
  EXPECT_EQ(truncated_tar.status().code(), absl::StatusCode::kInvalidArgument) << truncated_tar.status();
  auto garbage = ApplyTarToRoot(std::string(2048, 'z'));
  EXPECT_FALSE(garbage.ok());
  auto cancelled_desc = PutBlob(*store_, tar, "application/vnd.oci.image.layer.v1.tar");
  ASSERT_TRUE(cancelled_desc.ok());
  auto cancelled = applier_->Apply(Context{.ns = "t", .is_cancelled = [] { return true; }}, *cancelled_desc,
                                   {{.type = "bind", .source = root(), .options = {"rw"}}});
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled);
}

TEST_F(FsApplierTest, WhiteoutsAndOpaqueDirsDeleteInPlainMode) {
  MakeTree(root(), {{"a/b", "b"}, {"a/c", "c"}, {"d/e", "e"}, {"o/old", "old"}, {"o/sub/old", "old"}, {"f", "f"}});
  std::string tar = TarBuilder()
                        .Whiteout("a/.wh.b")
                        .Whiteout(".wh.d")
                        .Whiteout(".wh.missing")
                        .Dir("o/")
                        .File("o/new", "new")
                        .Dir("o/sub/")
                        .File("o/sub/new", "new")
                        .Whiteout("o/.wh..wh..opq")
                        .Build();
  auto applied = ApplyTarToRoot(tar);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_FALSE(std::filesystem::exists(root() + "/a/b"));
  EXPECT_TRUE(std::filesystem::exists(root() + "/a/c"));
  EXPECT_FALSE(std::filesystem::exists(root() + "/d"));
  EXPECT_FALSE(std::filesystem::exists(root() + "/o/old"));
  EXPECT_FALSE(std::filesystem::exists(root() + "/o/sub/old"));
  EXPECT_EQ(ReadFileOrEmpty(root() + "/o/new"), "new");
  EXPECT_EQ(ReadFileOrEmpty(root() + "/o/sub/new"), "new");
  EXPECT_TRUE(std::filesystem::exists(root() + "/f"));
}

TEST_F(FsApplierTest, ReplacesAnythingButADirectoryOverADirectory) {
  MakeTree(root(), {{"dir/keep", "k"}, {"file-to-dir", "x"}, {"dir-to-file/child", "x"}});
  std::filesystem::create_symlink("dir", root() + "/link-to-dir");
  std::string tar = TarBuilder()
                        .Dir("dir/", {.mode = 0700})
                        .File("dir/new", "n")
                        .Dir("file-to-dir/")
                        .File("dir-to-file", "now a file")
                        .Dir("link-to-dir/")
                        .Build();
  ASSERT_TRUE(ApplyTarToRoot(tar).ok());
  EXPECT_EQ(ReadFileOrEmpty(root() + "/dir/keep"), "k");
  EXPECT_EQ(Lstat(root() + "/dir").st_mode & 07777, 0700u);
  EXPECT_TRUE(std::filesystem::is_directory(root() + "/file-to-dir"));
  EXPECT_EQ(ReadFileOrEmpty(root() + "/dir-to-file"), "now a file");
  EXPECT_TRUE(S_ISDIR(Lstat(root() + "/link-to-dir").st_mode)) << "a symlink is replaced, not followed";
  EXPECT_TRUE(std::filesystem::exists(root() + "/dir/keep"));
}

// Overlay mode: the layer goes into the upper dir with overlay whiteouts; mounting the overlay shows the
// merged result.
TEST_F(FsApplierTest, OverlayUpperGetsOverlayWhiteoutsAndMergesRight) {
  const std::string lower = tmp_.Sub("lower"), upper = tmp_.Sub("upper"), work = tmp_.Sub("work"),
                    merged = tmp_.Sub("merged");
  MakeTree(lower, {{"a/b", "b"}, {"a/c", "c"}, {"gone/x", "x"}, {"o/old", "old"}, {"keep", "k"},
                   {"deep/er/file", "f"}});
  chmod((lower + "/deep").c_str(), 0710);
  chown((lower + "/deep").c_str(), 11, 12);
  setxattr((lower + "/deep").c_str(), "user.tag", "lower", 5, 0);
  for (const auto& d : {upper, work, merged}) std::filesystem::create_directories(d);
  std::string tar = TarBuilder()
                        .Whiteout("a/.wh.b")
                        .Whiteout(".wh.gone")
                        .Dir("o/")
                        .Whiteout("o/.wh..wh..opq")
                        .File("o/new", "new")
                        .File("deep/er/added", "added")
                        .Build();
  mount::Mount m{.type = "overlay", .source = "overlay",
                 .options = {"index=off", "workdir=" + work, "upperdir=" + upper, "lowerdir=" + lower}};
  auto applied = ApplyBlob(Gzip(tar), "application/vnd.oci.image.layer.v1.tar+gzip", {m});
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->digest, Digest::Of(tar));

  auto wh = Lstat(upper + "/a/b");
  EXPECT_TRUE(S_ISCHR(wh.st_mode));
  EXPECT_EQ(wh.st_rdev, makedev(0, 0));
  EXPECT_TRUE(S_ISCHR(Lstat(upper + "/gone").st_mode));
  EXPECT_EQ(Xattr(upper + "/o", "trusted.overlay.opaque"), "y");
  EXPECT_FALSE(std::filesystem::exists(upper + "/a/c")) << "nothing is copied up";
  auto deep = Lstat(upper + "/deep");
  EXPECT_EQ(deep.st_mode & 07777, 0710u) << "parents created in the upper dir take the lower's attributes";
  EXPECT_EQ(deep.st_uid, 11u);
  EXPECT_EQ(Xattr(upper + "/deep", "user.tag"), "lower");

  ASSERT_EQ(::mount("overlay", merged.c_str(), "overlay", 0,
                    fmt::format("lowerdir={},upperdir={},workdir={}", lower, upper, work).c_str()),
            0)
      << strerror(errno);
  ScopeGuard unmount([&] { umount2(merged.c_str(), MNT_DETACH); });
  EXPECT_FALSE(std::filesystem::exists(merged + "/a/b"));
  EXPECT_EQ(ReadFileOrEmpty(merged + "/a/c"), "c");
  EXPECT_FALSE(std::filesystem::exists(merged + "/gone"));
  EXPECT_FALSE(std::filesystem::exists(merged + "/o/old"));
  EXPECT_EQ(ReadFileOrEmpty(merged + "/o/new"), "new");
  EXPECT_EQ(ReadFileOrEmpty(merged + "/keep"), "k");
  EXPECT_EQ(ReadFileOrEmpty(merged + "/deep/er/file"), "f");
  EXPECT_EQ(ReadFileOrEmpty(merged + "/deep/er/added"), "added");
}

TEST_F(FsApplierTest, OtherMountsAreTempMounted) {
  // A read-write bind given with an explicit "bind" option list still goes through a temp mount when
  // combined with another mount; a lone overlay without upperdir (a view) is read-only.
  const std::string lower = tmp_.Sub("lower");
  MakeTree(lower, {{"a", "a"}});
  std::string tar = TarBuilder().File("b", "b").Build();
  auto view = ApplyBlob(tar, "application/vnd.oci.image.layer.v1.tar",
                        {{.type = "overlay", .source = "overlay", .options = {"lowerdir=" + lower + ":" + lower}}});
  EXPECT_FALSE(view.ok());
  auto bind_ro = ApplyBlob(tar, "application/vnd.oci.image.layer.v1.tar",
                           {{.type = "bind", .source = lower, .options = {"ro", "rbind"}}});
  EXPECT_FALSE(bind_ro.ok());
  EXPECT_FALSE(std::filesystem::exists(lower + "/b"));
  // Nothing left mounted or behind in the temp mount dir.
  for (const auto& de : std::filesystem::directory_iterator(tmp_.path())) {
    EXPECT_FALSE(de.path().filename().string().starts_with("berth-diff-")) << de.path();
  }
}

}  // namespace
}  // namespace berth::diff::testing
