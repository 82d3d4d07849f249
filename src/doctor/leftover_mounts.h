// Mounts left behind under berthd's root and state dirs: the one detector behind `berth doctor`'s mounts check
// and `berth fsck`'s leftover-mounts problems (which --repair unmounts).
//
// Who owns a mount, by where it is:
//   <state>/io.containerd.runtime.v2.task/<ns>/<id>/…  task ns/id: alive while its shim answers on the address
//                                                      in its bundle (so a task being created, or stopped but
//                                                      not deleted, keeps its rootfs);
//   <state>/tmpmounts/…                                one diff call of berthd: a leftover once no berthd runs on
//                                                      the root, or when it was there before the running berthd
//                                                      started (a call never outlives its daemon);
//   anything else strictly below the root or state     nobody: berthd mounts nothing there.
// The root and state themselves may be mount points (a dedicated disk, a tmpfs) and are never reported.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "doctor/mountinfo.h"

namespace berth::doctor {

struct LeftoverScope {
  std::string root;   // absolute; canonicalized by Canonical()
  std::string state;
  bool daemon_running = false;                // a berthd serves this root (its temp mounts may be in use)
  std::set<std::string> temp_mounts_at_start;  // mount points under <state>/tmpmounts when that berthd started

  // The scope with root and state resolved (symlinks, ".."), as mountinfo spells mount points.
  LeftoverScope Canonical() const;
  // The scope of a berthd starting now on root and state: the temp mounts already there are an earlier one's.
  static LeftoverScope OfStartingDaemon(const std::string& root, const std::string& state);
};

struct LeftoverMount {
  std::string mount_point;
  std::string fs_type;
  std::string source;
  std::string owner;  // "task <ns>/<id>", "a diff call of berthd", "nobody"
  std::string why;    // why it counts as left over
};

// Whether the task whose bundle is `bundle_dir` is alive.
using TaskAlive = std::function<bool(const std::string& bundle_dir)>;

// The leftovers among `mounts`, deepest first (the order to unmount them in). `live_task_mounts`, if not null,
// counts the mounts of live tasks (for the OK line).
std::vector<LeftoverMount> FindLeftoverMounts(const LeftoverScope& scope, const std::vector<MountEntry>& mounts,
                                              const TaskAlive& task_alive, int* live_task_mounts = nullptr);

// The same over /proc/self/mountinfo, with ShimAnswers as liveness.
absl::StatusOr<std::vector<LeftoverMount>> FindLeftoverMounts(const LeftoverScope& scope,
                                                              int* live_task_mounts = nullptr);

// Whether the shim of the bundle at `bundle_dir` accepts a connection on the address it wrote there.
bool ShimAnswers(const std::string& bundle_dir);

// Unmounts one leftover; when it is busy, detaches it lazily (MNT_DETACH). Returns what was done
// ("unmounted", "busy: detached lazily (the file system goes once its last user closes it)").
absl::StatusOr<std::string> UnmountLeftover(const std::string& mount_point);

}  // namespace berth::doctor
