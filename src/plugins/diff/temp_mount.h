// Mounts a containerd mount list on a fresh temporary directory for the duration of a scope (containerd's
// mount.WithTempMount), for mount shapes the diff code cannot use in place.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/mount/mount.h"

namespace berth::diff {

class TempMount {
 public:
  // Creates a directory under `parent` and mounts `mounts` on it in order. Nothing is left behind on error.
  static absl::StatusOr<std::unique_ptr<TempMount>> Mount(const std::vector<mount::Mount>& mounts,
                                                          const std::string& parent);
  // Unmounts (lazily if busy) and removes the directory.
  ~TempMount();
  TempMount(const TempMount&) = delete;
  TempMount& operator=(const TempMount&) = delete;

  const std::string& path() const { return path_; }

 private:
  explicit TempMount(std::string path) : path_(std::move(path)) {}
  std::string path_;
  int mounted_ = 0;
};

// Splits containerd mount options into mount(2) flags and the data string ("upperdir=…,lowerdir=…").
struct MountFlags {
  unsigned long flags = 0;
  std::string data;
};
MountFlags ParseMountOptions(const std::vector<std::string>& options);

}  // namespace berth::diff
