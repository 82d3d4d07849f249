// Creates one tar entry at (parent directory fd, name) and applies its metadata in containerd's order:
// owner, xattrs, mode (after chown, which may clear setuid bits), then times. Never follows a symlink at
// `name`; hardlink targets are resolved inside the root.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "plugins/diff/tar_reader.h"

namespace berth::diff {

struct EntryTarget {
  int root_fd;               // the layer root: where hardlink targets are resolved
  int parent_fd;             // the directory that receives the entry
  const std::string& name;   // one component
  const std::string& where;  // "/path/in/root", for errors
};

// `tar` is positioned on `entry`; a regular file's data is read from it.
absl::Status CreateEntry(const EntryTarget& t, const TarEntry& entry, TarReader& tar);

// containerd's boundTime(latestTime(atime, mtime)) and boundTime(mtime), set without following symlinks.
absl::Status SetTimes(int parent_fd, const std::string& name, const TarEntry& entry, const std::string& where);

}  // namespace berth::diff
