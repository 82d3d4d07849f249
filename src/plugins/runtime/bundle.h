// A task's bundle: <state>/io.containerd.runtime.v2.task/<ns>/<id>/ (both levels 0700), as containerd lays it out:
// config.json (the container's OCI spec), rootfs/ (the shim mounts the snapshot there), the `log` FIFO the shim
// writes its logs to, `address` (written by the shim), `shim-binary-path`, and, once the shim is gone, `exit.json`:
// the recorded exit of a task whose shim died, so a restarted berthd still reports it stopped.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/unique_fd.h"

namespace berth::runtime {

// How a task ended when its shim did not report it (the shim died, or was gone at restart).
struct RecordedExit {
  uint32_t pid = 0;
  uint32_t exit_status = 0;
  absl::Time exited_at;
  std::string reason;  // e.g. "shim killed by signal 9", shown by `berth ps`
  // Set when the init had exited before its shim died: its own reason ("exited", "killed by SIGKILL", ...), and
  // exit_status is then the init's.
  std::string stop_reason;
};

class Bundle {
 public:
  Bundle(std::string tasks_root, std::string ns, std::string id);

  // Makes the directories (0700), writes config.json, makes rootfs/ and the log FIFO. AlreadyExists if the
  // bundle is there (a task with that id exists).
  absl::Status Create(const std::string& spec_json) const;
  // The log FIFO opened for reading, non-blocking, before the shim starts (a shim without a reader dies).
  absl::StatusOr<UniqueFd> OpenLog() const;

  absl::Status WriteShimBinaryPath(const std::string& path) const;
  absl::StatusOr<std::string> ReadShimBinaryPath() const;
  absl::StatusOr<std::string> ReadAddress() const;  // without "unix://"

  absl::Status WriteExit(const RecordedExit& exit) const;
  // nullopt when the task has no recorded exit.
  absl::StatusOr<std::optional<RecordedExit>> ReadExit() const;

  // Unmounts rootfs (lazily, whatever is stacked there) and removes everything but exit.json.
  absl::Status Release() const;
  // Unmounts and removes the whole bundle. Idempotent.
  absl::Status Remove() const;
  // Marks the task deleted (shim-binary-path becomes `deleted`, no new file) while its shim still finishes:
  // recovery then ends that shim and removes the bundle instead of bringing the task back.
  absl::Status MarkDeleted() const;
  bool MarkedDeleted() const;
  // Unmounts rootfs and renames the bundle beside itself to kAsidePrefix + id + a unique suffix, at once, so a task
  // with the same id can be created right after; returns that path for removal ("" when there was no bundle).
  // Recovery ignores such names and removes what a crash left of them.
  absl::StatusOr<std::string> MoveAside() const;
  static constexpr std::string_view kAsidePrefix = ".removing-";

  const std::string& dir() const { return dir_; }
  std::string rootfs() const { return dir_ + "/rootfs"; }
  const std::string& ns() const { return ns_; }
  const std::string& id() const { return id_; }

 private:
  absl::Status UnmountRootfs() const;

  std::string ns_, id_, dir_;
};

}  // namespace berth::runtime
