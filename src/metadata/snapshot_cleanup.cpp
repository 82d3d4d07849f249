// SnapshotStore's crash recovery and garbage removal: the two places that look across every
// namespace.
#include <map>
#include <mutex>
#include <set>

#include "base/status.h"
#include "fmt/format.h"
#include "metadata/keys.h"
#include "metadata/snapshot_store.h"
#include "metadata/snapshot_txn.h"

namespace berth::metadata {

namespace {

struct Reservation {
  std::string ns;
  SnapshotRecord record;
};

// Calls fn(ns, record) for every record of `snapshotter` in every namespace. Namespace and
// snapshotter names are short, so they are read from the key itself (never hashed; see keys.h).
absl::Status ForEachSnapshot(
    const Txn& txn, const std::string& snapshotter,
    const std::function<void(const std::string& ns, SnapshotRecord record)>& fn) {
  absl::Status decode_error;
  RETURN_IF_ERROR(
      txn.Scan(Table::kSnapshots, "", [&](std::string_view key, std::string_view value) {
        std::vector<std::string> parts = SplitKey(key);
        if (parts.size() != 3 || parts[1] != snapshotter) return true;
        absl::StatusOr<SnapshotRecord> record = DecodeSnapshot(parts[2], value);
        if (!record.ok()) {
          decode_error = record.status();
          return false;
        }
        fn(parts[0], *std::move(record));
        return true;
      }));
  return decode_error;
}

struct Node {
  std::string parent;
  std::vector<std::string> children;
};

}  // namespace

absl::Status SnapshotStore::RecoverCommits(const Context& ctx) {
  std::vector<Reservation> reservations;
  {
    ASSIGN_OR_RETURN(Txn txn, db_->BeginRead());
    RETURN_IF_ERROR(
        ForEachSnapshot(txn, snapshotter_, [&](const std::string& ns, SnapshotRecord record) {
          if (record.committing) reservations.push_back({ns, std::move(record)});
        }));
  }
  for (const Reservation& r : reservations) {
    // Backend keys are never reused, so the committed key exists exactly when the backend commit
    // happened.
    absl::StatusOr<snapshots::Info> committed = backend_->Stat(ctx, r.record.backend_key);
    if (!committed.ok() && !absl::IsNotFound(committed.status())) {
      return WithContext(
          committed.status(),
          fmt::format("recover commit of snapshot \"{}\" in namespace {}", r.record.key, r.ns));
    }
    RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
      if (!committed.ok()) return DropCommit(txn, r.ns, snapshotter_, r.record);
      return FinishCommit(txn, r.ns, snapshotter_, r.record).status();
    }));
  }
  return absl::OkStatus();
}

absl::Status SnapshotStore::Cleanup(const Context& ctx) { return Cleanup(ctx, nullptr); }

absl::Status SnapshotStore::Cleanup(
    const Context& ctx, const std::function<void(const std::string& backend_key)>& removed) {
  std::unique_lock lock(lock_);
  RETURN_IF_ERROR(RecoverCommits(ctx));
  std::set<std::string> referenced;
  {
    ASSIGN_OR_RETURN(Txn txn, db_->BeginRead());
    RETURN_IF_ERROR(
        ForEachSnapshot(txn, snapshotter_, [&](const std::string&, SnapshotRecord record) {
          referenced.insert(std::move(record.backend_key));
        }));
  }
  std::map<std::string, Node> nodes;
  RETURN_IF_ERROR(backend_->Walk(ctx, {}, [&](const snapshots::Info& info) {
    nodes[info.name].parent = info.parent;
    if (!info.parent.empty()) nodes[info.parent].children.push_back(info.name);
    return absl::OkStatus();
  }));
  // Children before parents (a backend refuses to remove a parent); what still has a referenced
  // descendant is refused by the backend and stays.
  std::function<absl::Status(const std::string&)> prune =
      [&](const std::string& name) -> absl::Status {
    for (const std::string& child : nodes[name].children) RETURN_IF_ERROR(prune(child));
    if (referenced.contains(name)) return absl::OkStatus();
    absl::Status s = backend_->Remove(ctx, name);
    if (s.ok() && removed) removed(name);
    if (s.ok() || absl::IsNotFound(s) || absl::IsFailedPrecondition(s)) return absl::OkStatus();
    return WithContext(
        s, fmt::format("snapshotter {}: remove unreferenced snapshot \"{}\"", snapshotter_, name));
  };
  std::vector<std::string> roots;
  for (const auto& [name, node] : nodes) {
    if (node.parent.empty() || !nodes.contains(node.parent)) roots.push_back(name);
  }
  for (const std::string& root : roots) RETURN_IF_ERROR(prune(root));
  absl::Status s = backend_->Cleanup(ctx);
  return absl::IsUnimplemented(s) ? absl::OkStatus() : s;
}

}  // namespace berth::metadata
