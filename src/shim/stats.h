// Converts `runc events --stats` output into the Any that Task.Stats returns: containerd's cgroups v1 Metrics
// (io.containerd.cgroups.v1.Metrics), which `ctr tasks metrics` decodes. Carries pids, cpu and memory, the
// parts containerd's runc shim fills on this kind of host.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "shim/task_api.h"

namespace berth::shim {

absl::StatusOr<Any> MetricsFromRuncStats(std::string_view runc_events_json);

}  // namespace berth::shim
