#include "plugins/diff/temp_mount.h"

#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <map>

#include "base/status.h"

namespace berth::diff {

MountFlags ParseMountOptions(const std::vector<std::string>& options) {
  // {set, clear} per option, as containerd's mount_linux.go parses them.
  static const std::map<std::string, std::pair<unsigned long, unsigned long>> kFlags = {
      {"ro", {MS_RDONLY, 0}},          {"rw", {0, MS_RDONLY}},         {"bind", {MS_BIND, 0}},
      {"rbind", {MS_BIND | MS_REC, 0}}, {"nosuid", {MS_NOSUID, 0}},     {"suid", {0, MS_NOSUID}},
      {"nodev", {MS_NODEV, 0}},        {"dev", {0, MS_NODEV}},         {"noexec", {MS_NOEXEC, 0}},
      {"exec", {0, MS_NOEXEC}},        {"noatime", {MS_NOATIME, 0}},   {"relatime", {MS_RELATIME, 0}},
      {"strictatime", {MS_STRICTATIME, 0}}, {"sync", {MS_SYNCHRONOUS, 0}}, {"async", {0, MS_SYNCHRONOUS}},
      {"defaults", {0, 0}},
  };
  MountFlags out;
  for (const auto& o : options) {
    if (auto it = kFlags.find(o); it != kFlags.end()) {
      out.flags = (out.flags | it->second.first) & ~it->second.second;
      continue;
    }
    if (!out.data.empty()) out.data += ',';
    out.data += o;
  }
  return out;
}

absl::StatusOr<std::unique_ptr<TempMount>> TempMount::Mount(const std::vector<mount::Mount>& mounts,
                                                             const std::string& parent) {
  std::string tmpl = parent + "/berth-diff-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return ErrnoStatus(errno, "create temp mount dir under", parent);
  std::unique_ptr<TempMount> tm(new TempMount(tmpl));
  for (const auto& m : mounts) {
    MountFlags f = ParseMountOptions(m.options);
    const bool bind = (f.flags & MS_BIND) != 0;
    // The kernel ignores MS_RDONLY on a new bind mount; a remount applies it.
    if (::mount(m.source.c_str(), tm->path_.c_str(), m.type.c_str(), bind ? f.flags & ~MS_RDONLY : f.flags,
              f.data.empty() ? nullptr : f.data.c_str()) != 0) {
      return ErrnoStatus(errno, fmt::format("mount {} ({}) on", m.source, m.type), tm->path_);
    }
    ++tm->mounted_;
    if (bind && (f.flags & MS_RDONLY) != 0) {
      unsigned long remount = MS_REMOUNT | MS_BIND | MS_RDONLY;
      if (::mount(nullptr, tm->path_.c_str(), nullptr, remount, nullptr) != 0) {
        return ErrnoStatus(errno, "remount read-only", tm->path_);
      }
    }
  }
  return tm;
}

TempMount::~TempMount() {
  for (; mounted_ > 0; --mounted_) {
    if (umount2(path_.c_str(), 0) != 0) umount2(path_.c_str(), MNT_DETACH);
  }
  rmdir(path_.c_str());
}

}  // namespace berth::diff
