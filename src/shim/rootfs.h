// Mounts a task's rootfs (CreateTaskRequest.rootfs, containerd Mount records) onto <bundle>/rootfs.
// Options are split into mount flags and filesystem data as containerd's mount_linux.go does. Overlay data that
// would not fit in mount(2)'s one page (many lowerdirs) is passed with fsopen/fsconfig, one "lowerdir+" per layer.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "shim/task_api.h"

namespace berth::shim {

// Mounts each record on `target` in order; on failure unmounts what it mounted.
absl::Status MountAll(const std::vector<Mount>& mounts, const std::string& target);

// Unmounts everything stacked on `target` (MNT_DETACH); OK if nothing is mounted there or it does not exist.
absl::Status UnmountAll(const std::string& target);

// The mount(2) data limit below which the plain syscall is used (containerd's threshold: a page minus 512).
size_t MountDataLimit();

}  // namespace berth::shim
