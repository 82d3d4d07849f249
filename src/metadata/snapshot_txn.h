// Record-level steps of metadata::SnapshotStore, each run inside the caller's transaction so that
// every invariant below holds at each commit:
// - a visible record's parent is a visible record in the same namespace and snapshotter, and
//   `snapshot_children` has (ns, snapshotter, parent, child) exactly for the visible records with
//   a parent;
// - a lease resource {snapshots/<snapshotter>, key} is dropped with the record when the caller's
//   lease held it.
#pragma once

#include <optional>
#include <string>

#include "metadata/db.h"
#include "metadata/snapshot_record.h"

namespace berth::metadata {

// The record of (ns, snapshotter, key), reservations included; nullopt if none.
absl::StatusOr<std::optional<SnapshotRecord>> LoadSnapshot(const Txn& txn, const std::string& ns,
                                                           const std::string& snapshotter,
                                                           const std::string& key);
// As LoadSnapshot, but a reservation of a commit in flight counts as absent.
absl::StatusOr<std::optional<SnapshotRecord>> LoadVisibleSnapshot(const Txn& txn,
                                                                  const std::string& ns,
                                                                  const std::string& snapshotter,
                                                                  const std::string& key);

// Deletes a visible record and its child link; takes it off `lease` (if not empty and the lease
// exists).
absl::Status DeleteSnapshot(WriteTxn& txn, const std::string& ns, const std::string& snapshotter,
                            const SnapshotRecord& record, const std::string& lease);

// The backend did not commit: drops the reservation `reserved` if it is still there.
absl::Status DropCommit(WriteTxn& txn, const std::string& ns, const std::string& snapshotter,
                        const SnapshotRecord& reserved);

// The backend committed: the reservation becomes a visible Committed record (child link and lease
// moved from the Active key, which is deleted if it still names the committed backend snapshot). If
// the parent went away meanwhile (the key was removed, then its parent, during the commit), the
// reservation is dropped instead and the result is false; the backend snapshot is then garbage for
// Cleanup. A reservation already finished is true.
absl::StatusOr<bool> FinishCommit(WriteTxn& txn, const std::string& ns,
                                  const std::string& snapshotter, const SnapshotRecord& reserved);

}  // namespace berth::metadata
