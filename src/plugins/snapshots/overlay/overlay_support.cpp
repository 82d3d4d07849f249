#include "plugins/snapshots/overlay/overlay_support.h"

#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/scope_guard.h"
#include "base/status.h"
#include "plugins/snapshots/storage/fs_util.h"

namespace berth::snapshots {

absl::StatusOr<OverlaySupport> ProbeOverlay(const std::filesystem::path& root) {
  std::string pattern = (root / "overlay-probe-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return ErrnoStatus(errno, "mkdtemp", pattern);
  const std::filesystem::path dir = pattern;
  ScopeGuard remove([&] { IgnoreError(storage::RemoveTree(dir), "a leftover probe dir is only garbage"); });
  for (const char* sub : {"lower1", "lower2", "upper", "work", "merged"}) {
    RETURN_IF_ERROR(storage::MkdirIfMissing(dir / sub, 0700));
  }
  std::string data = fmt::format("lowerdir={}:{},upperdir={},workdir={}", (dir / "lower2").string(),
                                 (dir / "lower1").string(), (dir / "upper").string(), (dir / "work").string());
  const std::string merged = (dir / "merged").string();
  if (::mount("overlay", merged.c_str(), "overlay", 0, data.c_str()) != 0) {
    int err = errno;
    return absl::FailedPreconditionError(
        fmt::format("overlayfs does not work under {}: mount: {}; use the native snapshotter there",
                    root.string(), std::strerror(err)));
  }
  if (::umount2(merged.c_str(), 0) != 0 && ::umount2(merged.c_str(), MNT_DETACH) != 0) {
    return ErrnoStatus(errno, "unmount overlay probe", merged);
  }
  OverlaySupport support;
  struct stat st;
  support.index_off = ::stat("/sys/module/overlay/parameters/index", &st) == 0;
  return support;
}

}  // namespace berth::snapshots
