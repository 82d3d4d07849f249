#pragma once
// Snapshots of directory trees (a mounted image root, a sentinel dir) and readable comparisons, for asserting
// that two daemons unpack an image into identical root filesystems and that nothing outside a root changed.
//
//   Tree ours, theirs;
//   ASSERT_TRUE(SnapshotTree(mounted_root, &ours));
//   EXPECT_EQ(DiffTrees(theirs, ours), "");        // "" when identical, else one line per difference
//
// The walk is tree_snapshot.py (beside this file): lstat only, never follows symlinks, stays on one mount.

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>

namespace berth::testing {

struct TreeEntry {
  std::string path;  // "." for the root, else relative ("etc/passwd")
  std::string type;  // file dir symlink fifo char block socket
  uint32_t mode = 0;  // permission bits incl. setuid/setgid/sticky
  uint32_t uid = 0, gid = 0;
  uint64_t nlink = 0;
  int64_t mtime_ns = 0;
  uint64_t size = 0;      // files and symlinks
  std::string sha256;     // files: hex of the content hash
  std::string target;     // symlinks
  int major = -1, minor = -1;  // devices
  std::map<std::string, std::string> xattrs;  // name -> hex value, every namespace listed
  std::string link_group;  // non-directories with nlink > 1: the smallest path sharing the inode
};

struct Tree {
  std::string root;
  std::map<std::string, TreeEntry> entries;  // by path

  const TreeEntry* Find(const std::string& path) const;
  bool Has(const std::string& path) const { return Find(path) != nullptr; }
};

struct TreeCompareOptions {
  bool file_mtimes = true;   // mtimes of non-directories
  bool dir_mtimes = false;   // directories get touched as entries land in them; off by default
  bool root_entry = true;    // compare "." (mode, owner) too
  bool nlink = true;
};

::testing::AssertionResult SnapshotTree(const std::string& root, Tree* tree);

// One line per difference ("only in expected: a/b", "a/b: mode 0644 != 0755", ...); "" if none.
std::string DiffTrees(const Tree& expected, const Tree& actual, const TreeCompareOptions& options = {});

// A one-line rendering of an entry, e.g. "file 0644 0:0 size=3 sha256=ab12… xattrs{user.a=6869}".
std::string DescribeEntry(const TreeEntry& e);

// "0644"-style octal.
std::string OctalMode(uint32_t mode);

}  // namespace berth::testing
