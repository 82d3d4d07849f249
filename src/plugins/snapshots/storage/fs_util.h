// File-system steps both on-disk snapshotters share: disk usage, removing a tree, listing a directory.
// None of them follows symbolic links.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/snapshots/snapshotter.h"

namespace berth::snapshots::storage {

// containerd's fs.DiskUsage: the blocks (st_blocks * 512) and the number of distinct inodes under `root`,
// `root` included; a hard-linked inode counts once. Like containerd it walks whatever is there, mounts
// included, so measure unmounted trees.
absl::StatusOr<Usage> DiskUsage(const std::filesystem::path& root);

// Removes `path` and everything below it; a path that is already gone is success (another remover, or
// Cleanup, may be racing us over the same leftovers).
absl::Status RemoveTree(const std::filesystem::path& path);

// The names in directory `dir`, without "." and "..".
absl::StatusOr<std::vector<std::string>> ListDir(const std::filesystem::path& dir);

// mkdir that tolerates an existing directory.
absl::Status MkdirIfMissing(const std::filesystem::path& dir, mode_t mode);

}  // namespace berth::snapshots::storage
