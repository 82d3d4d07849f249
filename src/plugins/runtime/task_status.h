// How a task stands and, once stopped, why: what `berth ps` shows, served by berth.services.tasks.v1.TaskStatus.
// Live shims answer State; a dead shim's exit is on record (bundle/exit.json: "shim died"); a stopped init's
// reason comes from stop-reason.json (stop_reason.h), or — when berthd has not seen the exit event yet, e.g. it
// happened while berthd was down — from the exit status and the cgroup's OOM count, as the recorder would have.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "plugins/runtime/task.h"

namespace berth::runtime {

struct TaskStatusInfo {
  std::string container_id;
  uint32_t pid = 0;
  std::string status;  // created, running, paused, pausing, stopped, unknown
  uint32_t exit_code = 0;
  absl::Time exited_at = absl::InfinitePast();  // stopped only
  std::string reason;  // stopped only: "exited", "killed by SIGKILL", "OOM killed", "shim died"
  std::string detail;  // e.g. "shim (pid 4242) died"
  absl::Time started_at = absl::InfinitePast();  // running, paused, pausing: the init's start (from /proc)
};

// When process pid started, from /proc/<pid>/stat and the boot time; nullopt if it is gone.
std::optional<absl::Time> ProcessStartTime(uint32_t pid);

// Never fails: a shim that does not answer (hung) reads "unknown", as tasks.v1 List reports it.
TaskStatusInfo DescribeTask(Task& task);

}  // namespace berth::runtime
