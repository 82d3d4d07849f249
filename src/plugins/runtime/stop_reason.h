// Why a task stopped, which containerd's tasks.v1 has no field for: "exited", "killed by SIGKILL", "OOM killed"
// (berthd's own answer for `berth ps`; dead shims are "shim died", from bundle/exit.json, see task_status.h).
//
// On record in the task's bundle as stop-reason.json — beside the task's state, so it survives a berthd restart
// and goes when the task is deleted (the bundle with it). Written from the shims' events: /tasks/oom marks the
// task, the init's /tasks/exit fixes the reason. Format: {"oom": bool, and once the init exited "exit_status": N,
// "reason": string}. An OOM event that arrives after the exit (the shim reports them from two threads) still counts.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace berth::runtime {

inline constexpr char kReasonExited[] = "exited";
inline constexpr char kReasonOomKilled[] = "OOM killed";
inline constexpr char kReasonShimDied[] = "shim died";

// The reason for an init that ended with `exit_status` (128+n after signal n, as shims report it): "OOM killed"
// when the kernel OOM-killed in its cgroup and the status is not 0, else "killed by SIGNAME" for 129..192 (an
// explicit `exit 137` reads the same: the status carries nothing more), else "exited".
std::string ExitReason(uint32_t exit_status, bool oom_killed);

struct StopRecord {
  bool oom = false;                   // a /tasks/oom arrived for the task
  std::optional<uint32_t> exit_status;  // set once the init's exit was seen
  std::optional<std::string> reason;    // likewise
};

// The record in bundle_dir (an empty one when there is none). DataLoss when the file does not parse.
absl::StatusOr<StopRecord> ReadStopRecord(const std::string& bundle_dir);
// Temp file, then rename (no fsync, as the bundle's other files: the state dir is tmpfs and lives no longer
// than the containers do).
absl::Status WriteStopRecord(const std::string& bundle_dir, const StopRecord& record);

// OOM kills counted by the memory cgroup the bundle's config.json names (linux.cgroupsPath, runc's cgroupfs form
// "/a/b"): cgroup v1 memory.oom_control or v2 memory.events, "oom_kill N". nullopt when there is no such cgroup
// (any more: runc removes it when the task is deleted) or the path is not a plain absolute one.
std::optional<uint64_t> CgroupOomKills(const std::string& bundle_dir);

// Keeps stop-reason.json of every task under tasks_root/<ns>/<id> from the events the shims forward.
// Thread-safe.
class StopReasonRecorder {
 public:
  explicit StopReasonRecorder(std::string tasks_root) : tasks_root_(std::move(tasks_root)) {}

  // /tasks/oom (TaskOOM) marks the task; /tasks/exit (TaskExit) of an init records its reason. Other topics,
  // unreadable events and ids that are not a task's bundle are ignored (logged): events never fail for this.
  void Observe(const std::string& ns, const std::string& topic, const std::string& value);

 private:
  // tasks_root/<ns>/<id> if both are single path components and the bundle exists.
  std::optional<std::string> BundleDir(const std::string& ns, const std::string& id) const;
  void Update(const std::string& ns, const std::string& id, bool oom, std::optional<uint32_t> exit_status);

  std::string tasks_root_;
  std::mutex mu_;  // one read-modify-write of a record at a time
};

}  // namespace berth::runtime
