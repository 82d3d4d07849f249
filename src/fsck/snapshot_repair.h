// Repair of a damaged unpacked layer, crash-safe: the layer is unpacked again into a fresh Active snapshot
// beside the damaged one (same parent), the two layer directories are swapped with one
// renameat2(RENAME_EXCHANGE), and the fresh snapshot, which now holds the damaged tree, is removed. A crash at
// any point leaves either tree in place and at most a fsck-repair-* snapshot, which the next fsck removes.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "fsck/unpacked_layers.h"
#include "metadata/db.h"
#include "metadata/snapshot_store.h"
#include "plugins/diff/diff.h"

namespace berth::fsck {

// The directory holding `l`'s own tree, and whether it holds the layer alone (overlayfs) or the whole chain.
struct LayerLocation {
  std::string dir;
  bool layer_only = true;
};
absl::StatusOr<LayerLocation> LocateLayer(const metadata::Db& db, const UnpackedLayer& l);

// Whether a live mount (a running container's rootfs, a view) uses `dir`, per /proc/self/mountinfo.
bool MountedFrom(const std::string& dir);

inline constexpr std::string_view kRepairPrefix = "fsck-repair-";

absl::Status ReunpackLayer(const metadata::Db& db, const UnpackedLayer& l, diff::Applier& applier);

// Removes the fresh snapshots of repairs a crash interrupted (run before any repair; fsck runs one at a time).
absl::Status RemoveRepairLeftovers(const metadata::Db& db, const std::vector<metadata::SnapshotStore*>& stores);

}  // namespace berth::fsck
