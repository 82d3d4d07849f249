#include "plugins/runtime/task_status.h"

#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/log.h"
#include "fmt/format.h"
#include "plugins/runtime/stop_reason.h"
#include "plugins/runtime/status_name.h"

namespace berth::runtime {

namespace {

// The reason of a stopped init whose shim still lives.
std::string StoppedReason(const Task& task, uint32_t exit_status) {
  absl::StatusOr<StopRecord> record = ReadStopRecord(task.bundle().dir());
  if (!record.ok()) log::Warn("task {}/{}: {}", task.ns(), task.id(), record.status().ToString());
  if (record.ok() && record->reason && record->exit_status == exit_status) return *record->reason;
  bool oom = (record.ok() && record->oom) || CgroupOomKills(task.bundle().dir()).value_or(0) > 0;
  return ExitReason(exit_status, oom);
}

}  // namespace

std::optional<absl::Time> ProcessStartTime(uint32_t pid) {
  if (pid == 0) return std::nullopt;
  std::ifstream stat_file(fmt::format("/proc/{}/stat", pid));
  std::string stat;
  if (!std::getline(stat_file, stat)) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields count from the last ')'.
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i < 22) continue;
    uint64_t ticks = std::strtoull(field.c_str(), nullptr, 10);
    long hz = ::sysconf(_SC_CLK_TCK);
    struct timespec since_boot {};
    if (hz <= 0 || ::clock_gettime(CLOCK_BOOTTIME, &since_boot) != 0) return std::nullopt;
    // The boot time from the clocks rather than /proc/stat's btime, which is cut to whole seconds.
    absl::Time boot = absl::Now() - absl::DurationFromTimespec(since_boot);
    return boot + absl::Milliseconds(static_cast<int64_t>(ticks) * 1000 / hz);
  }
  return std::nullopt;
}

TaskStatusInfo DescribeTask(Task& task) {
  TaskStatusInfo info{.container_id = task.id(), .pid = task.pid()};
  if (std::optional<RecordedExit> exit = task.recorded_exit()) {
    info.pid = exit->pid;
    info.status = "stopped";
    info.exit_code = exit->exit_status;
    info.exited_at = exit->exited_at;
    info.reason = exit->stop_reason.empty() ? kReasonShimDied : exit->stop_reason;
    info.detail = exit->reason;
    return info;
  }
  absl::StatusOr<taskapi::StateResponse> state = task.State("");
  if (!state.ok()) {
    // The shim died during the call: its exit is on record now, or within the cleanup's few seconds.
    if (task.recorded_exit()) return DescribeTask(task);
    info.status = "unknown";
    info.detail = std::string(state.status().message());
    return info;
  }
  info.pid = state->pid();
  info.status = TaskStatusName(state->status());
  if (state->status() != containerd::v1::types::STOPPED) {
    if (state->status() != containerd::v1::types::CREATED) {
      info.started_at = ProcessStartTime(info.pid).value_or(absl::InfinitePast());
    }
    return info;
  }
  info.exit_code = state->exit_status();
  if (state->has_exited_at()) {
    info.exited_at = absl::FromUnixSeconds(state->exited_at().seconds()) + absl::Nanoseconds(state->exited_at().nanos());
  }
  info.reason = StoppedReason(task, state->exit_status());
  return info;
}

}  // namespace berth::runtime
