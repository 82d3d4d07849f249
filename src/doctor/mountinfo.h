// /proc/<pid>/mountinfo, parsed (proc(5)): which file systems are mounted where, with which options.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::doctor {

struct MountEntry {
  int id = 0;
  int parent_id = 0;
  std::string root;           // the mounted subtree of the source file system ("/" for a whole one)
  std::string mount_point;    // unescaped, absolute
  std::string mount_options;  // per-mount: "rw,relatime"
  std::string fs_type;        // "overlay", "cgroup2", "ext4"
  std::string source;         // "overlay", "/dev/vda1", "tmpfs"
  std::string super_options;  // per-superblock: "rw,lowerdir=…,upperdir=…" or "rw,memory"

  // The value of `key=` in the super options ("" if absent), e.g. Option("upperdir").
  std::string Option(std::string_view key) const;
};

// InvalidArgument naming the line when a line does not have the documented fields.
absl::StatusOr<std::vector<MountEntry>> ParseMountInfo(std::string_view text);
absl::StatusOr<std::vector<MountEntry>> ReadMountInfo(const std::string& path = "/proc/self/mountinfo");

// Whether `path` is `prefix` or below it (component-wise: /a/bc is not below /a/b).
bool IsAtOrBelow(std::string_view path, std::string_view prefix);
bool IsBelow(std::string_view path, std::string_view prefix);

// Mount points strictly below `dir` in this process's mount namespace (empty when unreadable).
std::vector<std::string> MountPointsBelow(const std::string& dir);

}  // namespace berth::doctor
