#include "doctor/leftover_mounts.h"

#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>

#include "base/status.h"
#include "doctor/split.h"
#include "fmt/format.h"
#include "plugins/runtime/bundle.h"
#include "base/unique_fd.h"

namespace berth::doctor {

namespace {

constexpr std::string_view kTasksDir = "io.containerd.runtime.v2.task";
constexpr std::string_view kTempMountsDir = "tmpmounts";

std::string CanonicalPath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : p.string();
}

}  // namespace

LeftoverScope LeftoverScope::Canonical() const {
  LeftoverScope out = *this;
  out.root = CanonicalPath(root);
  out.state = CanonicalPath(state);
  return out;
}

LeftoverScope LeftoverScope::OfStartingDaemon(const std::string& root, const std::string& state) {
  LeftoverScope out = LeftoverScope{.root = root, .state = state, .daemon_running = true}.Canonical();
  for (std::string& point : MountPointsBelow(fmt::format("{}/{}", out.state, kTempMountsDir))) {
    out.temp_mounts_at_start.insert(std::move(point));
  }
  return out;
}

std::vector<LeftoverMount> FindLeftoverMounts(const LeftoverScope& scope, const std::vector<MountEntry>& mounts,
                                              const TaskAlive& task_alive, int* live_task_mounts) {
  const std::string tasks_root = fmt::format("{}/{}", scope.state, kTasksDir);
  const std::string temp_mounts = fmt::format("{}/{}", scope.state, kTempMountsDir);
  std::map<std::string, bool> alive;  // bundle dir → its shim answers (asked once per bundle)
  std::vector<LeftoverMount> out;
  if (live_task_mounts != nullptr) *live_task_mounts = 0;
  for (const MountEntry& m : mounts) {
    const std::string& point = m.mount_point;
    LeftoverMount left{.mount_point = point, .fs_type = m.fs_type, .source = m.source};
    if (IsBelow(point, tasks_root)) {
      std::vector<std::string_view> parts = SplitAny(std::string_view(point).substr(tasks_root.size()), "/");
      if (parts.size() >= 2) {
        const std::string bundle = fmt::format("{}/{}/{}", tasks_root, parts[0], parts[1]);
        auto [it, fresh] = alive.try_emplace(bundle, false);
        if (fresh) it->second = task_alive(bundle);
        if (it->second) {
          if (live_task_mounts != nullptr) ++*live_task_mounts;
          continue;
        }
        left.owner = fmt::format("task {}/{}", parts[0], parts[1]);
        left.why = "its shim is gone (nothing answers on the address in its bundle)";
        out.push_back(std::move(left));
        continue;
      }
    } else if (IsBelow(point, temp_mounts)) {
      left.owner = "a diff call of berthd";
      if (!scope.daemon_running) {
        left.why = "no berthd runs on this root, and a call never outlives its daemon";
      } else if (scope.temp_mounts_at_start.contains(point)) {
        left.why = "it was there before the running berthd started";
      } else {
        continue;  // may be a call in flight
      }
      out.push_back(std::move(left));
      continue;
    } else if (!IsBelow(point, scope.root) && !IsBelow(point, scope.state)) {
      continue;
    }
    left.owner = "nobody";
    left.why = "berthd mounts nothing there";
    out.push_back(std::move(left));
  }
  // Deepest first; among mounts stacked on one point, the order of mountinfo (the top one is listed last).
  std::stable_sort(out.begin(), out.end(), [](const LeftoverMount& a, const LeftoverMount& b) {
    return a.mount_point.size() > b.mount_point.size();
  });
  return out;
}

absl::StatusOr<std::vector<LeftoverMount>> FindLeftoverMounts(const LeftoverScope& scope, int* live_task_mounts) {
  ASSIGN_OR_RETURN(std::vector<MountEntry> mounts, ReadMountInfo());
  return FindLeftoverMounts(scope.Canonical(), mounts, ShimAnswers, live_task_mounts);
}

bool ShimAnswers(const std::string& bundle_dir) {
  std::filesystem::path dir(bundle_dir);
  runtime::Bundle bundle(dir.parent_path().parent_path().string(), dir.parent_path().filename().string(),
                         dir.filename().string());
  absl::StatusOr<std::string> address = bundle.ReadAddress();
  if (!address.ok() || address->empty()) return false;
  sockaddr_un sa{.sun_family = AF_UNIX, .sun_path = {}};
  if (address->size() >= sizeof sa.sun_path) return false;
  address->copy(sa.sun_path, address->size());
  // Non-blocking: a wedged shim with a full backlog must not hang the check (EAGAIN: someone listens).
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  return ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0 || errno == EAGAIN;
}

absl::StatusOr<std::string> UnmountLeftover(const std::string& mount_point) {
  if (::umount2(mount_point.c_str(), UMOUNT_NOFOLLOW) == 0) return std::string("unmounted");
  const int err = errno;
  if (err != EBUSY) return ErrnoStatus(err, "umount", mount_point);
  if (::umount2(mount_point.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
    return ErrnoStatus(errno, "umount --lazy", mount_point);
  }
  return std::string("busy: detached lazily (the file system goes once its last user closes it)");
}

}  // namespace berth::doctor
