// The records of metadata::SnapshotStore (schema.md, tables `snapshots` and `snapshot_children`):
// what a namespace's snapshot key means, and the key layout of both tables.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/labels.h"

namespace berth::metadata {

// A Commit between its reservation and its end (see snapshot_store.h, "Ordering"): the Active
// snapshot being committed into the record that holds this, and the lease the commit ran under.
struct PendingCommit {
  std::string key;          // the Active snapshot's key, in the same namespace
  std::string backend_key;  // its backend key
  std::string lease;        // empty for none
};

// One snapshot of one namespace on one snapshotter.
struct SnapshotRecord {
  std::string key;          // the client's key or name, in full (table keys may hold its hash)
  std::string backend_key;  // "<ns>/<seq>/<key>" in the backend snapshotter
  std::string parent;       // the parent's name in the same namespace, empty for none
  Labels labels;
  absl::Time created_at;
  absl::Time updated_at;
  // Set only on a name reserved by a Commit still in flight (or cut short by a crash): such a
  // record is invisible to every read and is resolved by SnapshotStore::Open / Cleanup.
  std::optional<PendingCommit> committing;
};

std::string EncodeSnapshot(const SnapshotRecord& record);
// `key` is the fallback name when the value lacks one. DataLoss naming the snapshot if the value is
// corrupt.
absl::StatusOr<SnapshotRecord> DecodeSnapshot(std::string_view key, std::string_view value);

// Table `snapshots`: (ns, snapshotter, key). Namespace first, so the namespace-emptiness check is
// one prefix scan.
std::string SnapshotKey(std::string_view ns, std::string_view snapshotter, std::string_view key);
std::string SnapshotPrefix(std::string_view ns, std::string_view snapshotter);
// Table `snapshot_children`: (ns, snapshotter, parent, child) → empty.
std::string ChildKey(std::string_view ns, std::string_view snapshotter, std::string_view parent,
                     std::string_view child);
std::string ChildrenPrefix(std::string_view ns, std::string_view snapshotter,
                           std::string_view parent);
// Table `meta`: ("snapshot_seq", snapshotter) → decimal text; the last sequence number given to a
// backend key.
std::string SequenceKey(std::string_view snapshotter);

}  // namespace berth::metadata
