#include "shim/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <map>

#include "base/scope_guard.h"
#include "base/unique_fd.h"
#include "base/status.h"

namespace berth::shim {
namespace {

struct FlagOption {
  bool clear;
  unsigned long flag;
};

const std::map<std::string, FlagOption>& FlagOptions() {
  static const auto* options = new std::map<std::string, FlagOption>{
      {"async", {true, MS_SYNCHRONOUS}},   {"atime", {true, MS_NOATIME}},      {"bind", {false, MS_BIND}},
      {"defaults", {false, 0}},            {"dev", {true, MS_NODEV}},          {"diratime", {true, MS_NODIRATIME}},
      {"dirsync", {false, MS_DIRSYNC}},    {"exec", {true, MS_NOEXEC}},        {"mand", {false, MS_MANDLOCK}},
      {"noatime", {false, MS_NOATIME}},    {"nodev", {false, MS_NODEV}},       {"nodiratime", {false, MS_NODIRATIME}},
      {"noexec", {false, MS_NOEXEC}},      {"nomand", {true, MS_MANDLOCK}},    {"norelatime", {true, MS_RELATIME}},
      {"nostrictatime", {true, MS_STRICTATIME}}, {"nosuid", {false, MS_NOSUID}}, {"rbind", {false, MS_BIND | MS_REC}},
      {"relatime", {false, MS_RELATIME}},  {"remount", {false, MS_REMOUNT}},   {"ro", {false, MS_RDONLY}},
      {"rw", {true, MS_RDONLY}},           {"strictatime", {false, MS_STRICTATIME}}, {"suid", {true, MS_NOSUID}},
      {"sync", {false, MS_SYNCHRONOUS}}};
  return *options;
}

struct ParsedOptions {
  unsigned long flags = 0;
  std::vector<std::string> data;  // filesystem options, "key=value" or "flag"
  std::string Joined() const {
    std::string s;
    for (const auto& d : data) s += (s.empty() ? "" : ",") + d;
    return s;
  }
};

ParsedOptions ParseOptions(const std::vector<std::string>& options) {
  ParsedOptions parsed;
  for (const auto& o : options) {
    auto it = FlagOptions().find(o);
    if (it == FlagOptions().end()) {
      parsed.data.push_back(o);
    } else if (it->second.clear) {
      parsed.flags &= ~it->second.flag;
    } else {
      parsed.flags |= it->second.flag;
    }
  }
  return parsed;
}

// Overlay through the new mount API: no page-size limit, each lower layer added on its own.
absl::Status MountOverlayWithFsconfig(const Mount& m, const ParsedOptions& parsed, const std::string& target) {
  UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs.valid()) return ErrnoStatus(errno, "fsopen overlay for", target);
  for (const auto& option : parsed.data) {
    auto eq = option.find('=');
    std::string key = option.substr(0, eq);
    int r;
    if (eq == std::string::npos) {
      r = ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0);
    } else if (key == "lowerdir") {
      std::string value = option.substr(eq + 1);
      size_t start = 0;
      r = 0;
      while (r == 0 && start <= value.size()) {
        size_t colon = value.find(':', start);
        std::string dir = value.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        r = ::fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", dir.c_str(), 0);
        if (colon == std::string::npos) break;
        start = colon + 1;
      }
    } else {
      r = ::fsconfig(fs.get(), FSCONFIG_SET_STRING, key.c_str(), option.c_str() + eq + 1, 0);
    }
    if (r != 0) return ErrnoStatus(errno, fmt::format("overlay option {} for", key), target);
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return ErrnoStatus(errno, "create overlay for", target);
  }
  unsigned int attrs = 0;
  if (parsed.flags & MS_RDONLY) attrs |= MOUNT_ATTR_RDONLY;
  if (parsed.flags & MS_NOSUID) attrs |= MOUNT_ATTR_NOSUID;
  if (parsed.flags & MS_NODEV) attrs |= MOUNT_ATTR_NODEV;
  if (parsed.flags & MS_NOEXEC) attrs |= MOUNT_ATTR_NOEXEC;
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, attrs));
  if (!mnt.valid()) return ErrnoStatus(errno, "fsmount overlay for", target);
  if (::move_mount(mnt.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return ErrnoStatus(errno, "move_mount overlay onto", target);
  }
  return absl::OkStatus();
}

absl::Status MountOne(const Mount& m, const std::string& target) {
  ParsedOptions parsed = ParseOptions(m.options);
  std::string data = parsed.Joined();
  if (m.type == "overlay" && data.size() >= MountDataLimit()) return MountOverlayWithFsconfig(m, parsed, target);
  if (data.size() >= static_cast<size_t>(::getpagesize())) {
    return absl::InvalidArgumentError(fmt::format("mount options of {} ({} bytes) exceed a page", target, data.size()));
  }
  unsigned long flags = parsed.flags;
  // A read-only bind needs a second, remounting call: MS_RDONLY is ignored on the first.
  bool remount_ro = (flags & MS_BIND) && (flags & MS_RDONLY);
  if (::mount(m.source.c_str(), target.c_str(), m.type.c_str(), flags & ~(remount_ro ? MS_RDONLY : 0),
              data.empty() ? nullptr : data.c_str()) != 0) {
    return ErrnoStatus(errno, fmt::format("mount {} ({}) on", m.source, m.type), target);
  }
  if (remount_ro && ::mount("", target.c_str(), "", flags | MS_REMOUNT, nullptr) != 0) {
    int err = errno;
    ::umount2(target.c_str(), MNT_DETACH);
    return ErrnoStatus(err, "remount read-only", target);
  }
  return absl::OkStatus();
}

}  // namespace

size_t MountDataLimit() { return static_cast<size_t>(::getpagesize()) - 512; }

absl::Status MountAll(const std::vector<Mount>& mounts, const std::string& target) {
  size_t mounted = 0;
  ScopeGuard undo([&] {
    for (size_t i = 0; i < mounted; ++i) ::umount2(target.c_str(), MNT_DETACH);
  });
  for (const auto& m : mounts) {
    RETURN_IF_ERROR(MountOne(m, target));
    ++mounted;
  }
  undo.Dismiss();
  return absl::OkStatus();
}

absl::Status UnmountAll(const std::string& target) {
  // Bounded: a rootfs has a handful of stacked mounts at most.
  for (int i = 0; i < 64; ++i) {
    if (::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
      if (errno == EINVAL || errno == ENOENT) return absl::OkStatus();  // not a mount point (any more)
      return ErrnoStatus(errno, "unmount", target);
    }
  }
  return absl::InternalError(fmt::format("unmount {}: still mounted after 64 unmounts", target));
}

}  // namespace berth::shim
