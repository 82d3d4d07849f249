// Which committed snapshots hold which layer: for every image, its manifests (those of an index that are
// present locally), their configs' diff_ids give the chain ids that name the unpacked snapshots, and the
// manifest's layers the blobs they were unpacked from. Only snapshots that exist are listed.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "metadata/content_store.h"
#include "metadata/db.h"
#include "metadata/snapshot_store.h"
#include "oci/descriptor.h"

namespace berth::fsck {

struct UnpackedLayer {
  std::string ns;
  metadata::SnapshotStore* store = nullptr;
  std::string key;     // the chain id
  std::string parent;  // the parent's chain id, empty for the bottom layer
  oci::Descriptor layer;
  std::set<std::string> images;  // "image <name>"
};

absl::StatusOr<std::vector<UnpackedLayer>> FindUnpackedLayers(const metadata::Db& db, metadata::ContentStore& content,
                                                              const std::vector<metadata::SnapshotStore*>& stores);

}  // namespace berth::fsck
