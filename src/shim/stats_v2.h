// Task.Stats on a cgroup v2 (unified) host: `runc events --stats` output, plus the cgroup's memory.events, as
// containerd's io.containerd.cgroups.v2.Metrics (which `ctr tasks metrics` decodes on such hosts).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "shim/task_api.h"

namespace berth::shim {

// Whether /sys/fs/cgroup is the unified (v2) hierarchy.
bool CgroupV2Host();

// memory_events_text: the contents of the container's memory.events ("" when unreadable).
absl::StatusOr<Any> MetricsV2FromRuncStats(std::string_view runc_events_json, std::string_view memory_events_text);

// The container's memory.events, found through /proc/PID/cgroup ("0::/path"); "" when unreadable.
std::string ReadMemoryEvents(int pid);

}  // namespace berth::shim
