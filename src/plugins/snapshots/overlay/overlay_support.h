// What the kernel's overlayfs offers under a snapshotter root, probed once at Open.
#pragma once

#include <filesystem>

#include "absl/status/statusor.h"

namespace berth::snapshots {

struct OverlaySupport {
  // overlayfs has the `index` feature, so mounts pass "index=off" as containerd does: with index=on a lower
  // dir can be used by only one upper at a time, and layers are shared by many containers.
  bool index_off = false;
};

// Mounts a two-lower overlay in a temporary directory under `root` (so the probe sees root's file system)
// and removes it again. FailedPrecondition naming the root if overlayfs does not work there.
absl::StatusOr<OverlaySupport> ProbeOverlay(const std::filesystem::path& root);

}  // namespace berth::snapshots
