#include "plugins/snapshots/native/copy_tree.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "fmt/format.h"

namespace berth::snapshots {
namespace {

// Everything CopyTree promises to keep, per entry; hard links by the first name of their inode.
struct Entry {
  mode_t mode;
  uid_t uid;
  gid_t gid;
  dev_t rdev;
  int64_t mtime_ns;
  std::string content;
  std::map<std::string, std::string> xattrs;
  std::string link_group;
  bool operator==(const Entry&) const = default;
};

std::map<std::string, Entry> Snapshot(const std::filesystem::path& root) {
  std::map<std::string, Entry> out;
  std::map<ino_t, std::string> inodes;
  for (auto it = std::filesystem::recursive_directory_iterator(root); it != std::filesystem::end(it); ++it) {
    const auto& p = it->path();
    std::string rel = std::filesystem::relative(p, root).string();
    struct stat st;
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    Entry e{.mode = st.st_mode, .uid = st.st_uid, .gid = st.st_gid, .rdev = st.st_rdev,
            .mtime_ns = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec};
    if (S_ISREG(st.st_mode)) {
      std::ifstream in(p, std::ios::binary);
      e.content.assign(std::istreambuf_iterator<char>(in), {});
    } else if (S_ISLNK(st.st_mode)) {
      e.content = std::filesystem::read_symlink(p).string();
    }
    char names[4096];
    ssize_t n = ::llistxattr(p.c_str(), names, sizeof(names));
    for (ssize_t i = 0; i < n;) {
      std::string name(names + i);
      i += name.size() + 1;
      char value[4096];
      ssize_t v = ::lgetxattr(p.c_str(), name.c_str(), value, sizeof(value));
      e.xattrs[name] = std::string(value, v > 0 ? v : 0);
    }
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) e.link_group = inodes.emplace(st.st_ino, rel).first->second;
    out[rel] = e;
  }
  return out;
}

TEST(CopyTreeTest, KeepsEveryTypeAndAttribute) {
  std::string pattern = "/tmp/berth-copytree-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path dir = pattern;
  const std::filesystem::path src = dir / "src";
  const std::filesystem::path dst = dir / "dst";
  std::filesystem::create_directories(src / "sub" / "deeper");
  std::filesystem::create_directories(dst);
  std::ofstream(src / "file") << "hello";
  std::ofstream(src / "sub" / "deeper" / "big") << std::string(3 << 20, 'z');
  ASSERT_EQ(::chmod((src / "file").c_str(), 04755), 0);
  ASSERT_EQ(::chown((src / "sub").c_str(), 1000, 2000), 0);
  ASSERT_EQ(::chmod((src / "sub").c_str(), 02750), 0);
  ASSERT_EQ(::link((src / "file").c_str(), (src / "sub" / "file-link").c_str()), 0);
  ASSERT_EQ(::link((src / "file").c_str(), (src / "file-link2").c_str()), 0);
  ASSERT_EQ(::symlink("/etc/passwd", (src / "abs-link").c_str()), 0);
  ASSERT_EQ(::symlink("../nowhere", (src / "sub" / "dangling").c_str()), 0);
  ASSERT_EQ(::lchown((src / "abs-link").c_str(), 7, 8), 0);
  ASSERT_EQ(::mkfifo((src / "fifo").c_str(), 0640), 0);
  ASSERT_EQ(::mknod((src / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  ASSERT_EQ(::mknod((src / "blk").c_str(), S_IFBLK | 0600, makedev(7, 200)), 0);
  ASSERT_EQ(::mknod((src / "sock").c_str(), S_IFSOCK | 0755, 0), 0);
  ASSERT_EQ(::mkdir((src / "tmp").c_str(), 0700), 0);
  ASSERT_EQ(::chmod((src / "tmp").c_str(), 01777), 0);
  ASSERT_EQ(::lsetxattr((src / "file").c_str(), "user.note", "v1", 2, 0), 0);
  ASSERT_EQ(::lsetxattr((src / "sub").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  ASSERT_EQ(::lsetxattr((src / "abs-link").c_str(), "trusted.t", "link-attr", 9, 0), 0);
  ASSERT_EQ(::lsetxattr(src.c_str(), "user.root", "r", 1, 0), 0);
  ASSERT_EQ(::chmod(src.c_str(), 0711), 0);
  struct timespec times[2] = {{1000, 5}, {2000, 123456789}};
  for (const char* p : {"file", "abs-link", "fifo", "sub", "sub/deeper", ""}) {
    ASSERT_EQ(::utimensat(AT_FDCWD, (src / p).c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << p;
  }

  absl::Status st = CopyTree(src, dst);
  ASSERT_TRUE(st.ok()) << st;
  auto want = Snapshot(src);
  auto got = Snapshot(dst);
  ASSERT_EQ(want.size(), got.size());
  for (const auto& [rel, e] : want) {
    ASSERT_TRUE(got.contains(rel)) << rel;
    const Entry& g = got[rel];
    EXPECT_EQ(g.mode, e.mode) << rel;
    EXPECT_EQ(g.uid, e.uid) << rel;
    EXPECT_EQ(g.gid, e.gid) << rel;
    EXPECT_EQ(g.rdev, e.rdev) << rel;
    EXPECT_EQ(g.content, e.content) << rel;
    EXPECT_EQ(g.xattrs, e.xattrs) << rel;
    EXPECT_EQ(g.link_group, e.link_group) << rel;
    EXPECT_EQ(g.mtime_ns, e.mtime_ns) << rel;
  }
  struct stat s, d;
  ASSERT_EQ(::stat(src.c_str(), &s), 0);
  ASSERT_EQ(::stat(dst.c_str(), &d), 0);
  EXPECT_EQ(d.st_mode, s.st_mode) << "the root's own metadata is copied";
  EXPECT_EQ(d.st_mtim.tv_sec, s.st_mtim.tv_sec);
  char value[8];
  EXPECT_EQ(::getxattr(dst.c_str(), "user.root", value, sizeof(value)), 1);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace berth::snapshots
