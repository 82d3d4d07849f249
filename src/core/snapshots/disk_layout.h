// A read-only view of where an on-disk snapshotter keeps its snapshots, for operator tools that account for or
// verify bytes on disk (berth df, berth fsck). Implemented by the overlayfs and native backends beside
// Snapshotter; a backend without directories (a remote one) does not implement it.
#pragma once

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace berth::snapshots {

class DiskLayout {
 public:
  virtual ~DiskLayout() = default;
  // The backend's root directory (snapshots/, its metadata/ and nothing else belong to it).
  virtual std::filesystem::path RootDir() const = 0;
  // The directory whose entries are one snapshot each (by id); anything else in it is garbage for Cleanup.
  virtual std::filesystem::path SnapshotsDir() const = 0;
  // The directory of snapshot `key` (a backend key) under SnapshotsDir(); NotFound if there is no such snapshot.
  virtual absl::StatusOr<std::filesystem::path> SnapshotDir(const std::string& key) const = 0;
  // The directory holding the snapshot's own tree (the layer it adds): <dir>/fs for overlayfs, <dir> for native.
  virtual absl::StatusOr<std::filesystem::path> LayerDir(const std::string& key) const = 0;
};

}  // namespace berth::snapshots
