// Test helper: mounts a snapshotter's mount list at a target (containerd's mount.All) and unmounts it on
// destruction, so a failing assertion never leaves a mount behind. Needs root.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/mount/mount.h"

namespace berth::snapshots::testing {

class ScopedMount {
 public:
  // Mounts each of `mounts` at `target`, in order. Understands "bind" (options rw/ro, bind/rbind) and
  // "overlay"; an overlay whose option data passes mount(2)'s one-page limit (deep lowerdir chains) is mounted
  // through fsopen/fsconfig with one "lowerdir+" per layer (Linux ≥ 6.8).
  static absl::StatusOr<ScopedMount> Mount(const std::vector<mount::Mount>& mounts,
                                           const std::filesystem::path& target);

  ScopedMount(ScopedMount&& other) noexcept : target_(std::move(other.target_)), count_(other.count_) {
    other.count_ = 0;
  }
  ScopedMount& operator=(ScopedMount&&) = delete;
  ~ScopedMount();

  // Unmounts now, reporting failure (the destructor falls back to a lazy detach).
  absl::Status Unmount();

  const std::filesystem::path& target() const { return target_; }

 private:
  ScopedMount(std::filesystem::path target, int count) : target_(std::move(target)), count_(count) {}
  std::filesystem::path target_;
  int count_;  // mounts stacked at target_ that we still own
};

// Mounts one mount at `target` (no unmount on destruction); exposed for tests of mount options.
absl::Status MountOne(const mount::Mount& m, const std::filesystem::path& target);

}  // namespace berth::snapshots::testing
