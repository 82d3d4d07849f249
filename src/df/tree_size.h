// Bytes a tree holds as `du -sb` counts them: the apparent size (st_size) of every file, directory and symlink,
// each inode once however many hard links name it. Stays on the tree's file system (a mount inside it, e.g. a
// container rootfs, is not the root's bytes) and never follows symlinks.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace berth::df {

// Remembers multiply-linked inodes across calls, so a file linked from two trees is counted once overall.
class TreeSizer {
 public:
  // NotFound if `path` does not exist; a file is its own size. Entries that vanish during the walk are skipped
  // (the daemon keeps working while df runs).
  absl::StatusOr<int64_t> Size(const std::string& path);

 private:
  absl::StatusOr<int64_t> SizeAt(int dir_fd, const std::string& name, const std::string& path, dev_t dev,
                                 int depth);
  std::set<std::pair<dev_t, ino_t>> linked_;
};

}  // namespace berth::df
