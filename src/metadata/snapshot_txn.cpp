#include "metadata/snapshot_txn.h"

#include "base/status.h"
#include "fmt/format.h"
#include "metadata/lease_manager.h"

namespace berth::metadata {

namespace {

std::string LeaseType(const std::string& snapshotter) { return "snapshots/" + snapshotter; }

// A lease deleted meanwhile holds nothing to update.
absl::Status IgnoreMissingLease(absl::Status s) {
  return absl::IsNotFound(s) ? absl::OkStatus() : s;
}

}  // namespace

absl::StatusOr<std::optional<SnapshotRecord>> LoadSnapshot(const Txn& txn, const std::string& ns,
                                                           const std::string& snapshotter,
                                                           const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   txn.Get(Table::kSnapshots, SnapshotKey(ns, snapshotter, key)));
  if (!value.has_value()) return std::nullopt;
  ASSIGN_OR_RETURN(SnapshotRecord record, DecodeSnapshot(key, *value));
  return record;
}

absl::StatusOr<std::optional<SnapshotRecord>> LoadVisibleSnapshot(const Txn& txn,
                                                                  const std::string& ns,
                                                                  const std::string& snapshotter,
                                                                  const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<SnapshotRecord> record, LoadSnapshot(txn, ns, snapshotter, key));
  if (record.has_value() && record->committing.has_value()) return std::nullopt;
  return record;
}

absl::Status DeleteSnapshot(WriteTxn& txn, const std::string& ns, const std::string& snapshotter,
                            const SnapshotRecord& record, const std::string& lease) {
  RETURN_IF_ERROR(txn.Delete(Table::kSnapshots, SnapshotKey(ns, snapshotter, record.key)).status());
  if (!record.parent.empty()) {
    RETURN_IF_ERROR(
        txn.Delete(Table::kSnapshotChildren, ChildKey(ns, snapshotter, record.parent, record.key))
            .status());
  }
  if (lease.empty()) return absl::OkStatus();
  return IgnoreMissingLease(
      RemoveLeaseResource(txn, ns, lease, {.id = record.key, .type = LeaseType(snapshotter)}));
}

absl::Status DropCommit(WriteTxn& txn, const std::string& ns, const std::string& snapshotter,
                        const SnapshotRecord& reserved) {
  ASSIGN_OR_RETURN(std::optional<SnapshotRecord> current,
                   LoadSnapshot(txn, ns, snapshotter, reserved.key));
  if (!current.has_value() || current->backend_key != reserved.backend_key) return absl::OkStatus();
  return txn.Delete(Table::kSnapshots, SnapshotKey(ns, snapshotter, reserved.key)).status();
}

absl::StatusOr<bool> FinishCommit(WriteTxn& txn, const std::string& ns,
                                  const std::string& snapshotter, const SnapshotRecord& reserved) {
  const PendingCommit& from = *reserved.committing;
  ASSIGN_OR_RETURN(std::optional<SnapshotRecord> current,
                   LoadSnapshot(txn, ns, snapshotter, reserved.key));
  if (!current.has_value() || current->backend_key != reserved.backend_key ||
      !current->committing) {
    return current.has_value() &&
           current->backend_key == reserved.backend_key;  // finished or dropped before
  }
  ASSIGN_OR_RETURN(std::optional<SnapshotRecord> active,
                   LoadVisibleSnapshot(txn, ns, snapshotter, from.key));
  if (active.has_value() && active->backend_key == from.backend_key) {
    RETURN_IF_ERROR(DeleteSnapshot(txn, ns, snapshotter, *active, from.lease));
  }
  if (!reserved.parent.empty()) {
    ASSIGN_OR_RETURN(std::optional<SnapshotRecord> parent,
                     LoadVisibleSnapshot(txn, ns, snapshotter, reserved.parent));
    if (!parent.has_value()) {
      RETURN_IF_ERROR(DropCommit(txn, ns, snapshotter, reserved));
      return false;
    }
    RETURN_IF_ERROR(txn.Put(Table::kSnapshotChildren,
                            ChildKey(ns, snapshotter, reserved.parent, reserved.key), ""));
  }
  if (!from.lease.empty()) {
    RETURN_IF_ERROR(IgnoreMissingLease(AddLeaseResource(
        txn, ns, from.lease, {.id = reserved.key, .type = LeaseType(snapshotter)})));
  }
  SnapshotRecord done = reserved;
  done.committing.reset();
  done.created_at = done.updated_at = absl::Now();
  RETURN_IF_ERROR(
      txn.Put(Table::kSnapshots, SnapshotKey(ns, snapshotter, reserved.key), EncodeSnapshot(done)));
  return true;
}

}  // namespace berth::metadata
