#include "metadata/snapshot_store.h"

#include <algorithm>
#include <mutex>

#include "base/status.h"
#include "core/snapshots/info_fields.h"
#include "filters/filter.h"
#include "fmt/format.h"
#include "metadata/keys.h"
#include "metadata/lease_manager.h"
#include "metadata/namespace_store.h"
#include "metadata/snapshot_record.h"
#include "metadata/snapshot_txn.h"

namespace berth::metadata {

namespace {

using snapshots::Kind;

// containerd's words (errdefs appends the code's name), with the client's key.
absl::Status SnapshotNotFound(const std::string& key) {
  return absl::NotFoundError(fmt::format("snapshot {} does not exist: not found", key));
}

absl::Status SnapshotExists(const std::string& key) {
  return absl::AlreadyExistsError(fmt::format("snapshot \"{}\": already exists", key));
}

absl::Status ParentNotFound(const std::string& parent) {
  return absl::NotFoundError(fmt::format("parent snapshot {} does not exist: not found", parent));
}

// The labels a backend may act on (containerd's snapshots.FilterInheritedLabels); all others stay
// here.
Labels InheritedLabels(const Labels& labels) {
  Labels out;
  for (const auto& [k, v] : labels) {
    if (k == "containerd.io/snapshot.ref" || k.starts_with("containerd.io/snapshot/")) {
      out.emplace(k, v);
    }
  }
  return out;
}

snapshots::Info MakeInfo(const SnapshotRecord& record, Kind kind) {
  return {.kind = kind,
          .name = record.key,
          .parent = record.parent,
          .labels = record.labels,
          .created_at = record.created_at,
          .updated_at = record.updated_at};
}

absl::StatusOr<uint64_t> NextSequence(WriteTxn& txn, const std::string& snapshotter) {
  std::string key = SequenceKey(snapshotter);
  ASSIGN_OR_RETURN(std::optional<std::string> value, txn.Get(Table::kMeta, key));
  uint64_t seq = 0;
  if (value.has_value()) {
    try {
      seq = std::stoull(*value);
    } catch (const std::exception&) {
      return absl::DataLossError(fmt::format(
          "metadata: corrupt snapshot sequence for \"{}\": \"{}\"", snapshotter, *value));
    }
  }
  ++seq;
  RETURN_IF_ERROR(txn.Put(Table::kMeta, key, std::to_string(seq)));
  return seq;
}

absl::Status ApplyLabelPaths(const snapshots::Info& info,
                             const std::vector<std::string>& fieldpaths, Labels& labels) {
  if (fieldpaths.empty()) labels = info.labels;
  for (const std::string& path : fieldpaths) {
    if (path == "labels") {
      labels = info.labels;
    } else if (path.starts_with("labels.")) {
      std::string key = path.substr(std::string_view("labels.").size());
      auto it = info.labels.find(key);
      if (it == info.labels.end() || it->second.empty()) {
        labels.erase(key);
      } else {
        labels[key] = it->second;
      }
    } else {
      return absl::InvalidArgumentError(fmt::format(
          "cannot update \"{}\" field on snapshot \"{}\": invalid argument", path, info.name));
    }
  }
  std::erase_if(labels, [](const auto& kv) { return kv.second.empty(); });
  return WithContext(ValidateLabels(labels), "info.Labels");
}

}  // namespace

absl::StatusOr<std::unique_ptr<SnapshotStore>> SnapshotStore::Open(
    Db* db, std::string snapshotter, std::shared_ptr<snapshots::Snapshotter> backend) {
  if (snapshotter.empty() || snapshotter.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(fmt::format("invalid snapshotter name \"{}\"", snapshotter));
  }
  std::unique_ptr<SnapshotStore> store(
      new SnapshotStore(db, std::move(snapshotter), std::move(backend)));
  std::unique_lock lock(store->lock_);
  RETURN_IF_ERROR(store->RecoverCommits(Context{}));
  return store;
}

absl::StatusOr<std::string> SnapshotStore::ResolveKey(const Context& ctx, const std::string& key) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  ASSIGN_OR_RETURN(Txn txn, db_->BeginRead());
  ASSIGN_OR_RETURN(std::optional<SnapshotRecord> record,
                   LoadVisibleSnapshot(txn, ns, snapshotter_, key));
  if (!record.has_value()) return SnapshotNotFound(key);
  return record->backend_key;
}

absl::StatusOr<snapshots::Info> SnapshotStore::Stat(const Context& ctx, const std::string& key) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  std::shared_lock lock(lock_);
  std::optional<SnapshotRecord> record;
  {
    ASSIGN_OR_RETURN(Txn txn, db_->BeginRead());
    ASSIGN_OR_RETURN(record, LoadVisibleSnapshot(txn, ns, snapshotter_, key));
  }
  if (!record.has_value()) return SnapshotNotFound(key);
  absl::StatusOr<snapshots::Info> backend = backend_->Stat(ctx, record->backend_key);
  if (absl::IsNotFound(backend.status())) return SnapshotNotFound(key);
  if (!backend.ok()) return WithContext(backend.status(), fmt::format("stat snapshot \"{}\"", key));
  return MakeInfo(*record, backend->kind);
}

absl::StatusOr<snapshots::Info> SnapshotStore::Update(const Context& ctx,
                                                      const snapshots::Info& info,
                                                      const std::vector<std::string>& fieldpaths) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  if (info.name.empty()) {
    return absl::InvalidArgumentError("snapshot name is required to update it");
  }
  std::shared_lock lock(lock_);
  SnapshotRecord record;
  RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<SnapshotRecord> current,
                     LoadVisibleSnapshot(txn, ns, snapshotter_, info.name));
    if (!current.has_value()) return SnapshotNotFound(info.name);
    record = *std::move(current);
    RETURN_IF_ERROR(ApplyLabelPaths(info, fieldpaths, record.labels));
    record.updated_at = absl::Now();
    return txn.Put(Table::kSnapshots, SnapshotKey(ns, snapshotter_, info.name),
                   EncodeSnapshot(record));
  }));
  absl::StatusOr<snapshots::Info> backend = backend_->Stat(ctx, record.backend_key);
  if (absl::IsNotFound(backend.status())) return SnapshotNotFound(info.name);
  if (!backend.ok()) {
    return WithContext(backend.status(), fmt::format("stat snapshot \"{}\"", info.name));
  }
  return MakeInfo(record, backend->kind);
}

absl::StatusOr<snapshots::Usage> SnapshotStore::GetUsage(const Context& ctx,
                                                         const std::string& key) {
  std::shared_lock lock(lock_);
  ASSIGN_OR_RETURN(std::string backend_key, ResolveKey(ctx, key));
  absl::StatusOr<snapshots::Usage> usage = backend_->GetUsage(ctx, backend_key);
  if (absl::IsNotFound(usage.status())) return SnapshotNotFound(key);
  return usage;
}

absl::StatusOr<std::vector<mount::Mount>> SnapshotStore::Mounts(const Context& ctx,
                                                                const std::string& key) {
  std::shared_lock lock(lock_);
  ASSIGN_OR_RETURN(std::string backend_key, ResolveKey(ctx, key));
  absl::StatusOr<std::vector<mount::Mount>> mounts = backend_->Mounts(ctx, backend_key);
  if (absl::IsNotFound(mounts.status())) return SnapshotNotFound(key);
  return mounts;
}

absl::StatusOr<std::vector<mount::Mount>> SnapshotStore::Prepare(const Context& ctx,
                                                                 const std::string& key,
                                                                 const std::string& parent,
                                                                 const snapshots::Options& opts) {
  return Create(ctx, key, parent, Kind::kActive, opts);
}

absl::StatusOr<std::vector<mount::Mount>> SnapshotStore::View(const Context& ctx,
                                                              const std::string& key,
                                                              const std::string& parent,
                                                              const snapshots::Options& opts) {
  return Create(ctx, key, parent, Kind::kView, opts);
}

absl::StatusOr<std::vector<mount::Mount>> SnapshotStore::Create(const Context& ctx,
                                                                const std::string& key,
                                                                const std::string& parent,
                                                                Kind kind,
                                                                const snapshots::Options& opts) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  if (key.empty()) return absl::InvalidArgumentError("snapshot key must not be empty");
  RETURN_IF_ERROR(WithContext(ValidateLabels(opts.labels), "info.Labels"));
  std::shared_lock lock(lock_);

  // (1) Check (failing here costs no disk work) and take a sequence number.
  std::string backend_parent;
  RETURN_IF_ERROR(db_->View([&](const Txn& txn) -> absl::Status {
    if (!ctx.lease.empty()) RETURN_IF_ERROR(CheckLeaseExists(txn, ns, ctx.lease));
    ASSIGN_OR_RETURN(std::optional<SnapshotRecord> existing,
                     LoadSnapshot(txn, ns, snapshotter_, key));
    if (existing.has_value()) return SnapshotExists(key);
    if (!parent.empty()) {
      ASSIGN_OR_RETURN(std::optional<SnapshotRecord> p,
                       LoadVisibleSnapshot(txn, ns, snapshotter_, parent));
      if (!p.has_value()) return ParentNotFound(parent);
      backend_parent = p->backend_key;
    }
    return absl::OkStatus();
  }));
  ASSIGN_OR_RETURN(uint64_t seq, TakeSequence());
  const std::string backend_key = fmt::format("{}/{}/{}", ns, seq, key);

  // (2) The disk work, with no transaction open.
  snapshots::Options backend_opts{.labels = InheritedLabels(opts.labels)};
  absl::StatusOr<std::vector<mount::Mount>> mounts =
      kind == Kind::kView ? backend_->View(ctx, backend_key, backend_parent, backend_opts)
                          : backend_->Prepare(ctx, backend_key, backend_parent, backend_opts);
  if (absl::IsAlreadyExists(mounts.status())) {
    // Backend keys are never reused, so this is a backend bug, not the client's AlreadyExists.
    return absl::InternalError(
        fmt::format("snapshotter {}: backend key \"{}\" unexpectedly exists: {}", snapshotter_,
                    backend_key, std::string(mounts.status().message())));
  }
  if (!mounts.ok()) {
    return WithContext(mounts.status(), fmt::format("{} snapshot \"{}\"",
                                                    kind == Kind::kView ? "view" : "prepare", key));
  }

  // (3) Record it. A concurrent Prepare of the same key, or a Remove of the parent, may have won
  // meanwhile.
  absl::Time now = absl::Now();
  absl::Status recorded = db_->Update([&](WriteTxn& txn) -> absl::Status {
    RETURN_IF_ERROR(EnsureNamespace(txn, ns));
    ASSIGN_OR_RETURN(std::optional<SnapshotRecord> existing,
                     LoadSnapshot(txn, ns, snapshotter_, key));
    if (existing.has_value()) return SnapshotExists(key);
    if (!parent.empty()) {
      ASSIGN_OR_RETURN(std::optional<SnapshotRecord> p,
                       LoadVisibleSnapshot(txn, ns, snapshotter_, parent));
      if (!p.has_value() || p->backend_key != backend_parent) return ParentNotFound(parent);
      RETURN_IF_ERROR(
          txn.Put(Table::kSnapshotChildren, ChildKey(ns, snapshotter_, parent, key), ""));
    }
    if (!ctx.lease.empty()) {
      RETURN_IF_ERROR(AddLeaseResource(txn, ns, ctx.lease, {.id = key, .type = LeaseType()}));
    }
    SnapshotRecord record{.key = key,
                          .backend_key = backend_key,
                          .parent = parent,
                          .labels = opts.labels,
                          .created_at = now,
                          .updated_at = now};
    return txn.Put(Table::kSnapshots, SnapshotKey(ns, snapshotter_, key), EncodeSnapshot(record));
  });
  if (!recorded.ok()) {
    IgnoreError(backend_->Remove(ctx, backend_key),
                "unrecorded, so if removal fails it is garbage that Cleanup "
                "removes; report the cause instead");
    return recorded;
  }
  return mounts;
}

absl::StatusOr<uint64_t> SnapshotStore::TakeSequence() {
  std::lock_guard lock(sequence_mu_);
  if (sequence_next_ == 0 || sequence_next_ > sequence_last_) {
    uint64_t first = 0;
    RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
      ASSIGN_OR_RETURN(first, NextSequence(txn, snapshotter_));
      return txn.Put(Table::kMeta, SequenceKey(snapshotter_), std::to_string(first + kSequenceBlock - 1));
    }));
    sequence_next_ = first;
    sequence_last_ = first + kSequenceBlock - 1;
  }
  return sequence_next_++;
}

absl::Status SnapshotStore::Commit(const Context& ctx, const std::string& name,
                                   const std::string& key, const snapshots::Options& opts) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  if (name.empty()) {
    return absl::InvalidArgumentError(fmt::format("commit of \"{}\" needs a name", key));
  }
  RETURN_IF_ERROR(WithContext(ValidateLabels(opts.labels), "info.Labels"));
  std::shared_lock lock(lock_);

  // (1) Reserve the name; the reservation says what is being committed, for recovery.
  SnapshotRecord reserved;
  RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
    if (!ctx.lease.empty()) RETURN_IF_ERROR(CheckLeaseExists(txn, ns, ctx.lease));
    ASSIGN_OR_RETURN(std::optional<SnapshotRecord> existing,
                     LoadSnapshot(txn, ns, snapshotter_, name));
    if (existing.has_value()) return SnapshotExists(name);
    ASSIGN_OR_RETURN(std::optional<SnapshotRecord> active,
                     LoadVisibleSnapshot(txn, ns, snapshotter_, key));
    if (!active.has_value()) return SnapshotNotFound(key);
    ASSIGN_OR_RETURN(uint64_t seq, NextSequence(txn, snapshotter_));
    absl::Time now = absl::Now();
    reserved = {.key = name,
                .backend_key = fmt::format("{}/{}/{}", ns, seq, name),
                .parent = active->parent,
                .labels = opts.labels,
                .created_at = now,
                .updated_at = now,
                .committing = PendingCommit{
                    .key = key, .backend_key = active->backend_key, .lease = ctx.lease}};
    return txn.Put(Table::kSnapshots, SnapshotKey(ns, snapshotter_, name),
                   EncodeSnapshot(reserved));
  }));

  // (2) The backend commit, with no transaction open.
  absl::Status committed =
      backend_->Commit(ctx, reserved.backend_key, reserved.committing->backend_key,
                       {.labels = InheritedLabels(opts.labels)});
  if (!committed.ok()) {
    RETURN_IF_ERROR(
        db_->Update([&](WriteTxn& txn) { return DropCommit(txn, ns, snapshotter_, reserved); }));
    if (absl::IsNotFound(committed)) return SnapshotNotFound(key);  // removed meanwhile
    return WithContext(committed, fmt::format("commit snapshot \"{}\" as \"{}\"", key, name));
  }

  // (3) Make the reservation the committed snapshot. If this fails, Open or Cleanup finishes it
  // later.
  bool landed = false;
  absl::Status recorded = db_->Update([&](WriteTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(landed, FinishCommit(txn, ns, snapshotter_, reserved));
    return absl::OkStatus();
  });
  RETURN_IF_ERROR(
      WithContext(recorded, fmt::format("record commit of snapshot \"{}\" as \"{}\"", key, name)));
  // Not landed: the key was removed, then its parent, while the backend committed.
  return landed ? absl::OkStatus() : SnapshotNotFound(key);
}

absl::Status SnapshotStore::Remove(const Context& ctx, const std::string& key) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  std::shared_lock lock(lock_);
  std::string backend_key;
  RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<SnapshotRecord> record,
                     LoadVisibleSnapshot(txn, ns, snapshotter_, key));
    if (!record.has_value()) return SnapshotNotFound(key);
    ASSIGN_OR_RETURN(bool has_children, txn.HasPrefix(Table::kSnapshotChildren,
                                                      ChildrenPrefix(ns, snapshotter_, key)));
    if (has_children) {
      return absl::FailedPreconditionError(
          fmt::format("cannot remove snapshot \"{}\" with child: failed precondition", key));
    }
    backend_key = record->backend_key;
    return DeleteSnapshot(txn, ns, snapshotter_, *record, ctx.lease);
  }));
  absl::Status removed = backend_->Remove(ctx, backend_key);
  IgnoreError(removed,
              "no record references it any more: a backend snapshot "
              "left behind is Cleanup's garbage");
  if (on_delete_) on_delete_();  // its parent may now be unreferenced
  return absl::OkStatus();
}

absl::Status SnapshotStore::Walk(const Context& ctx, const std::vector<std::string>& filter_list,
                                 const std::function<absl::Status(const snapshots::Info&)>& fn) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  ASSIGN_OR_RETURN(filters::Filter filter, filters::Filter::Parse(filter_list));
  std::vector<snapshots::Info> infos;
  {
    std::shared_lock lock(lock_);
    std::vector<SnapshotRecord> records;
    absl::Status decode_error;
    {
      ASSIGN_OR_RETURN(Txn txn, db_->BeginRead());
      RETURN_IF_ERROR(txn.Scan(Table::kSnapshots, SnapshotPrefix(ns, snapshotter_),
                               [&](std::string_view k, std::string_view value) {
                                 absl::StatusOr<SnapshotRecord> record =
                                     DecodeSnapshot(SplitKey(k).back(), value);
                                 if (!record.ok()) {
                                   decode_error = record.status();
                                   return false;
                                 }
                                 if (!record->committing) records.push_back(*std::move(record));
                                 return true;
                               }));
    }
    RETURN_IF_ERROR(decode_error);
    for (const SnapshotRecord& record : records) {
      absl::StatusOr<snapshots::Info> backend = backend_->Stat(ctx, record.backend_key);
      if (absl::IsNotFound(backend.status())) continue;  // removed between the scan and now
      if (!backend.ok()) {
        return WithContext(backend.status(), fmt::format("stat snapshot \"{}\"", record.key));
      }
      snapshots::Info info = MakeInfo(record, backend->kind);
      if (filter.Match(snapshots::AdaptInfo(info))) infos.push_back(std::move(info));
    }
  }
  // Key order is name order except for long names (hashed in keys).
  std::sort(infos.begin(), infos.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  // Without the lock or a transaction: fn may call back into this store.
  for (const snapshots::Info& info : infos) RETURN_IF_ERROR(fn(info));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> SnapshottersInNamespace(const Txn& txn,
                                                                 const std::string& ns) {
  std::vector<std::string> out;
  RETURN_IF_ERROR(
      txn.Scan(Table::kSnapshots, KeyPrefix({ns}), [&](std::string_view key, std::string_view) {
        std::vector<std::string> parts = SplitKey(key);
        if (parts.size() >= 2 && (out.empty() || out.back() != parts[1])) out.push_back(parts[1]);
        return true;
      }));
  return out;
}

}  // namespace berth::metadata
