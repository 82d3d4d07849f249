// Test helpers for file trees: a small list of edits applied to a directory (containerd's fstest.Apply) and
// a snapshot of a tree that can be compared, entry by entry, with another.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::snapshots::testing {

// One edit; paths are relative to the tree's root.
struct TreeOp {
  enum class Type { kFile, kDir, kRemoveAll, kLink, kSymlink, kChown, kRename, kChmod };
  Type type;
  std::string path;
  std::string data;  // file content, link/symlink/rename source
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

TreeOp CreateFile(std::string path, std::string content, mode_t mode);
TreeOp CreateDir(std::string path, mode_t mode);
TreeOp RemoveAll(std::string path);
TreeOp Link(std::string existing, std::string path);
TreeOp Symlink(std::string target, std::string path);
TreeOp Chown(std::string path, uid_t uid, gid_t gid);
TreeOp Rename(std::string from, std::string to);
TreeOp Chmod(std::string path, mode_t mode);

using TreeOps = std::vector<TreeOp>;

// Applies `ops` in order under `root` (mode bits exactly as given: the umask is not applied).
absl::Status ApplyOps(const TreeOps& ops, const std::filesystem::path& root);

struct TreeEntry {
  mode_t mode = 0;  // type and permission bits
  uid_t uid = 0;
  gid_t gid = 0;
  std::string content;  // file bytes or symlink target

  bool operator==(const TreeEntry&) const = default;
};
void PrintTo(const TreeEntry& e, std::ostream* os);

// Every entry under `root` (not the root itself) by relative path, without following symlinks.
using Tree = std::map<std::string, TreeEntry>;
absl::StatusOr<Tree> ReadTree(const std::filesystem::path& root);

// An empty string if equal, else a description of the first differences.
std::string DiffTrees(const Tree& want, const Tree& got);

}  // namespace berth::snapshots::testing
