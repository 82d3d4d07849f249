// The mounts check: mounts left under the root and state by dead tasks and interrupted calls (leftover_mounts.h).
// They pin snapshot dirs (gc cannot remove them) and, for a task id, block starting it again.
#include "doctor/checks.h"
#include "fmt/format.h"

namespace berth::doctor {

std::vector<Finding> CheckMounts(const LeftoverScope& scope) {
  constexpr const char* kCheck = "mounts";
  int live = 0;
  absl::StatusOr<std::vector<LeftoverMount>> leftovers = FindLeftoverMounts(scope, &live);
  if (!leftovers.ok()) {
    return {{.check = kCheck, .status = Severity::kWarn, .what = "cannot read the mount table",
             .detail = std::string(leftovers.status().message()), .fix = "check that /proc is mounted"}};
  }
  std::vector<Finding> out;
  for (const LeftoverMount& m : *leftovers) {
    out.push_back({.check = kCheck, .status = Severity::kFail,
                   .what = fmt::format("{} is still mounted, owned by {}: {}", m.mount_point, m.owner, m.why),
                   .detail = fmt::format("{} from {}", m.fs_type, m.source),
                   .fix = fmt::format("umount {} (umount -l if busy), or `berth fsck --repair`", m.mount_point)});
  }
  if (out.empty()) {
    out.push_back({.check = kCheck, .status = Severity::kOk,
                   .what = fmt::format("no mounts left under {} or {}", scope.root, scope.state),
                   .detail = fmt::format("{} mounts of live tasks", live)});
  }
  return out;
}

}  // namespace berth::doctor
