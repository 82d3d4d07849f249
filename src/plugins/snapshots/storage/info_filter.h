// Walk over the metastore with containerd's snapshot filters (fields kind, name, parent, labels.*).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/snapshots/snapshotter.h"
#include "plugins/snapshots/storage/lmdb_env.h"

namespace berth::snapshots::storage {

// Calls fn for every snapshot matching `filters` (containerd syntax; empty = all). InvalidArgument for a
// filter that does not parse.
absl::Status WalkInfo(const LmdbTxn& txn, const std::vector<std::string>& filters,
                      const std::function<absl::Status(const Info&)>& fn);

}  // namespace berth::snapshots::storage
