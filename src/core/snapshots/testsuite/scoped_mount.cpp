#include "core/snapshots/testsuite/scoped_mount.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "base/status.h"
#include "base/unique_fd.h"

namespace berth::snapshots::testing {
namespace {

// mount(2) copies at most one page of option data.
constexpr size_t kMaxMountData = 4095;

struct ParsedOptions {
  unsigned long flags = 0;
  bool readonly = false;
  std::vector<std::string> data;
};

ParsedOptions Parse(const std::vector<std::string>& options) {
  ParsedOptions p;
  for (const std::string& o : options) {
    if (o == "ro") {
      p.readonly = true;
    } else if (o == "rw") {
      p.readonly = false;
    } else if (o == "bind") {
      p.flags |= MS_BIND;
    } else if (o == "rbind") {
      p.flags |= MS_BIND | MS_REC;
    } else if (o == "nosuid") {
      p.flags |= MS_NOSUID;
    } else if (o == "nodev") {
      p.flags |= MS_NODEV;
    } else if (o == "noexec") {
      p.flags |= MS_NOEXEC;
    } else {
      p.data.push_back(o);
    }
  }
  return p;
}

std::string Join(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

// The new mount API takes each parameter on its own, so no page limit applies to the whole.
absl::Status MountOverlayByFsconfig(const ParsedOptions& p, const std::string& target) {
  UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs.valid()) return ErrnoStatus(errno, "fsopen overlay for", target);
  for (const std::string& o : p.data) {
    size_t eq = o.find('=');
    if (eq == std::string::npos) {
      if (::fsconfig(fs.get(), FSCONFIG_SET_FLAG, o.c_str(), nullptr, 0) != 0) {
        return ErrnoStatus(errno, fmt::format("fsconfig {}", o), target);
      }
      continue;
    }
    std::string key = o.substr(0, eq);
    std::string value = o.substr(eq + 1);
    if (key == "lowerdir") {
      size_t start = 0;
      while (start <= value.size()) {
        size_t end = value.find(':', start);
        if (end == std::string::npos) end = value.size();
        std::string layer = value.substr(start, end - start);
        if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", layer.c_str(), 0) != 0) {
          return ErrnoStatus(errno, fmt::format("fsconfig lowerdir+={}", layer), target);
        }
        start = end + 1;
      }
      continue;
    }
    if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0) != 0) {
      return ErrnoStatus(errno, fmt::format("fsconfig {}", o), target);
    }
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return ErrnoStatus(errno, "create overlay for", target);
  }
  unsigned attrs = p.readonly ? MOUNT_ATTR_RDONLY : 0;
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, attrs));
  if (!mnt.valid()) return ErrnoStatus(errno, "fsmount overlay for", target);
  if (::move_mount(mnt.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return ErrnoStatus(errno, "move_mount overlay to", target);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MountOne(const mount::Mount& m, const std::filesystem::path& target_path) {
  const std::string target = target_path.string();
  ParsedOptions p = Parse(m.options);
  if (m.type == "bind" || (p.flags & MS_BIND) != 0) {
    if (::mount(m.source.c_str(), target.c_str(), nullptr, p.flags | MS_BIND, nullptr) != 0) {
      return ErrnoStatus(errno, fmt::format("bind mount {} at", m.source), target);
    }
    // The first bind ignores MS_RDONLY; read-only takes a remount of the new mount point.
    if (p.readonly &&
        ::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | (p.flags & ~MS_REC),
                nullptr) != 0) {
      int err = errno;
      ::umount2(target.c_str(), MNT_DETACH);
      return ErrnoStatus(err, "remount read-only", target);
    }
    return absl::OkStatus();
  }
  std::string data = Join(p.data, ',');
  if (m.type == "overlay" && data.size() > kMaxMountData) return MountOverlayByFsconfig(p, target);
  unsigned long flags = p.flags | (p.readonly ? MS_RDONLY : 0);
  if (::mount(m.source.c_str(), target.c_str(), m.type.c_str(), flags, data.c_str()) != 0) {
    return ErrnoStatus(errno, fmt::format("mount {} ({}) with {:?} at", m.source, m.type, data), target);
  }
  return absl::OkStatus();
}

absl::StatusOr<ScopedMount> ScopedMount::Mount(const std::vector<mount::Mount>& mounts,
                                               const std::filesystem::path& target) {
  ScopedMount scoped(target, 0);
  for (const mount::Mount& m : mounts) {
    RETURN_IF_ERROR(MountOne(m, target));
    scoped.count_++;
  }
  return scoped;
}

absl::Status ScopedMount::Unmount() {
  while (count_ > 0) {
    if (::umount2(target_.c_str(), 0) != 0) return ErrnoStatus(errno, "unmount", target_.string());
    count_--;
  }
  return absl::OkStatus();
}

ScopedMount::~ScopedMount() {
  if (Unmount().ok()) return;
  // Busy (an open file in a failed test): detach so nothing stays mounted once the test is gone.
  while (count_ > 0 && ::umount2(target_.c_str(), MNT_DETACH) == 0) count_--;
}

}  // namespace berth::snapshots::testing
