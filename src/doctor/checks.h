// The checks of `berth doctor`, one file each. Every check returns findings and never fails as a whole: what it
// cannot look at becomes a WARN (or FAIL) finding that says why.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "doctor/finding.h"
#include "doctor/id_map.h"
#include "doctor/leftover_mounts.h"
#include "doctor/mountinfo.h"

namespace berth::doctor {

// overlay.cpp: overlayfs in /proc/filesystems (or loadable as a module), then a real overlay mount in a temp dir
// under `snapshotter_dir` (the file system the snapshots live on) with a copy-up, and which of the options
// index=off, redirect_dir, metacopy, volatile, userxattr the kernel accepts there.
std::vector<Finding> CheckOverlay(const std::string& snapshotter_dir);

// userns.cpp. Where owners are compared with a mapping.
enum class MappingSide {
  // berthd's own namespace: stat shows owners as inside ids, and an unmapped owner as the overflow id.
  kOwnNamespace,
  // a container's OCI mapping: owners (as berthd sees them) must be host ids of the mapping.
  kContainerHost,
};
struct IdMappings {
  IdMap uid, gid;
};
struct OwnerCheckOptions {
  MappingSide side = MappingSide::kOwnNamespace;
  uint32_t overflow_uid = 65534;  // /proc/sys/kernel/overflowuid
  uint32_t overflow_gid = 65534;
  std::string whose = "berthd's user namespace";  // named in the finding
};
// The snapshot dirs (layer roots) whose owner `mappings` cannot represent: one FAIL naming each dir (up to 10),
// its owner and the mapping, or one OK.
std::vector<Finding> CheckSnapshotOwners(const std::vector<std::string>& dirs, const IdMappings& mappings,
                                         const OwnerCheckOptions& options);
// The layer roots of both snapshotters under `root`: overlayfs snapshots/<id>/fs, native snapshots/<id>.
std::vector<std::string> SnapshotLayerDirs(const std::string& root);
// This process's /proc/self/uid_map and gid_map against the layer roots under `root`; `whose` names the process
// in the finding ("berthd's user namespace").
std::vector<Finding> CheckUserNamespace(const std::string& root, const std::string& whose);

// cgroups.cpp: v2 (cgroup2 on /sys/fs/cgroup), v1 or hybrid, and whether memory, cpu and pids are there.
// `v2_controllers` is the content of /sys/fs/cgroup/cgroup.controllers (v2 only).
std::vector<Finding> EvaluateCgroups(const std::vector<MountEntry>& mounts, const std::string& v2_controllers);
std::vector<Finding> CheckCgroups();

// runc.cpp. "runc version 1.1.5+ds1\ncommit: …" → {1, 1, 5}; InvalidArgument for anything else.
struct Version {
  int major = 0, minor = 0, patch = 0;
  auto operator<=>(const Version&) const = default;
};
absl::StatusOr<Version> ParseRuncVersion(const std::string& output);
inline constexpr Version kMinimumRunc{1, 1, 0};
// runc on PATH and its version against kMinimumRunc; the shim binaries of io.containerd.berth.v1 (needed) and
// io.containerd.runc.v2 (optional) as berthd resolves them.
std::vector<Finding> CheckRuntimes();

// headroom.cpp: free space and inodes of the file system holding `root`. Below 10% free space or 5% free
// inodes: WARN; below 2% of either: FAIL. The fix says what `berth gc` would free, when `reclaimable` can tell.
struct VfsStats {
  uint64_t total_bytes = 0, available_bytes = 0;
  uint64_t total_inodes = 0, available_inodes = 0;  // total 0: the file system has no inode limit (btrfs)
};
using ReclaimableBytes = std::function<absl::StatusOr<int64_t>()>;
Finding EvaluateHeadroom(const std::string& root, const VfsStats& stats, const ReclaimableBytes& reclaimable);
Finding CheckHeadroom(const std::string& root, const ReclaimableBytes& reclaimable);

// mounts.cpp: leftover mounts (leftover_mounts.h), one FAIL each with the umount that removes it.
std::vector<Finding> CheckMounts(const LeftoverScope& scope);

}  // namespace berth::doctor
