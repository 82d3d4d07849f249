#include "metadata/gc_graph.h"

#include "base/status.h"
#include "fmt/format.h"
#include "gc/labels.h"
#include "metadata/keys.h"
#include "metadata/records.h"
#include "metadata/snapshot_txn.h"

namespace berth::metadata {

namespace {

using gc::Node;
using gc::ResourceType;

// Scans a whole table, decoding each row; a row that does not decode stops the scan with its
// DataLoss.
absl::Status ScanTable(const Txn& txn, Table table,
                       const std::function<absl::Status(const std::vector<std::string>& key,
                                                        std::string_view value)>& fn) {
  absl::Status error;
  RETURN_IF_ERROR(txn.Scan(table, "", [&](std::string_view key, std::string_view value) {
    error = fn(SplitKey(key), value);
    return error.ok();
  }));
  return error;
}

Node SnapshotNode(const std::string& ns, const std::string& snapshotter, const std::string& key) {
  return {ResourceType::kSnapshot, ns, gc::SnapshotNodeKey(snapshotter, key)};
}

absl::StatusOr<std::optional<content::Info>> LoadBlob(const Txn& txn, const Node& node) {
  absl::StatusOr<Digest> digest = Digest::Parse(node.key);
  if (!digest.ok()) return std::nullopt;  // a label naming no valid digest references nothing
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   txn.Get(Table::kBlobs, Key({node.ns, node.key})));
  if (!value.has_value()) return std::nullopt;
  ASSIGN_OR_RETURN(content::Info info, DecodeBlob(*digest, *value));
  return info;
}

absl::Status LeaseReferences(const Txn& txn, const Node& lease, const EmitNode& emit) {
  absl::Status error;
  RETURN_IF_ERROR(txn.Scan(Table::kLeaseResources, KeyPrefix({lease.ns, lease.key}),
                           [&](std::string_view, std::string_view value) {
                             // The value holds type and id in full (the key may hold their hashes).
                             std::vector<std::string> r = SplitKey(value);
                             if (r.size() != 2) {
                               error = absl::DataLossError(fmt::format(
                                   "lease \"{}\" in namespace {}: corrupt resource entry",
                                   lease.key, lease.ns));
                               return false;
                             }
                             const std::string& type = r[0];
                             if (type == "content") {
                               emit({ResourceType::kContent, lease.ns, r[1]});
                             } else if (type == "ingests") {
                               emit({ResourceType::kIngest, lease.ns, r[1]});
                             } else if (type.starts_with("snapshots/")) {
                               emit(SnapshotNode(lease.ns, type.substr(type.find('/') + 1), r[1]));
                             }
                             return true;
                           }));
  return error;
}

}  // namespace

absl::Status ScanRoots(const Txn& txn, absl::Time now, const std::vector<RootSource>& extra,
                       const EmitNode& emit) {
  RETURN_IF_ERROR(ScanTable(txn, Table::kImages,
                            [&](const std::vector<std::string>& key, std::string_view value) {
                              ASSIGN_OR_RETURN(images::Image image, DecodeImage(key.back(), value));
                              emit({ResourceType::kContent, key[0], image.target.digest.str()});
                              gc::LabelReferences(key[0], image.labels, emit);
                              return absl::OkStatus();
                            }));
  RETURN_IF_ERROR(ScanTable(txn, Table::kLeases,
                            [&](const std::vector<std::string>& key, std::string_view value) {
                              ASSIGN_OR_RETURN(leases::Lease lease, DecodeLease(key.back(), value));
                              if (!gc::LeaseExpired(lease.labels, now))
                                emit({ResourceType::kLease, key[0], lease.id});
                              return absl::OkStatus();
                            }));
  RETURN_IF_ERROR(ScanTable(txn, Table::kBlobs,
                            [&](const std::vector<std::string>& key, std::string_view value) {
                              ASSIGN_OR_RETURN(Digest digest, Digest::Parse(key[1]));
                              ASSIGN_OR_RETURN(content::Info info, DecodeBlob(digest, value));
                              if (gc::IsRootLabelled(info.labels))
                                emit({ResourceType::kContent, key[0], digest.str()});
                              return absl::OkStatus();
                            }));
  RETURN_IF_ERROR(ScanTable(
      txn, Table::kSnapshots, [&](const std::vector<std::string>& key, std::string_view value) {
        ASSIGN_OR_RETURN(SnapshotRecord record, DecodeSnapshot(key[2], value));
        // A reservation belongs to a commit in flight; its Active snapshot must survive until the
        // commit ends.
        if (record.committing || gc::IsRootLabelled(record.labels))
          emit(SnapshotNode(key[0], key[1], record.key));
        return absl::OkStatus();
      }));
  RETURN_IF_ERROR(ScanTable(
      txn, Table::kIngests, [&](const std::vector<std::string>& key, std::string_view value) {
        ASSIGN_OR_RETURN(IngestRecord ingest, DecodeIngest(key.back(), value));
        if (ingest.lease.empty() && ingest.expire_at > now)
          emit({ResourceType::kIngest, key[0], ingest.ref});
        return absl::OkStatus();
      }));
  for (const RootSource& source : extra) RETURN_IF_ERROR(source(txn, emit));
  return absl::OkStatus();
}

absl::Status References(const Txn& txn, const Node& node, const EmitNode& emit) {
  switch (node.type) {
    case ResourceType::kContent: {
      ASSIGN_OR_RETURN(std::optional<content::Info> info, LoadBlob(txn, node));
      if (info.has_value()) gc::LabelReferences(node.ns, info->labels, emit);
      return absl::OkStatus();
    }
    case ResourceType::kSnapshot: {
      std::string snapshotter, key;
      if (!gc::SplitSnapshotNodeKey(node.key, &snapshotter, &key)) return absl::OkStatus();
      ASSIGN_OR_RETURN(std::optional<SnapshotRecord> record,
                       LoadSnapshot(txn, node.ns, snapshotter, key));
      if (!record.has_value()) return absl::OkStatus();
      if (!record->parent.empty()) emit(SnapshotNode(node.ns, snapshotter, record->parent));
      if (record->committing) emit(SnapshotNode(node.ns, snapshotter, record->committing->key));
      gc::LabelReferences(node.ns, record->labels, emit);
      return absl::OkStatus();
    }
    case ResourceType::kLease:
      return LeaseReferences(txn, node, emit);
    case ResourceType::kIngest: {
      ASSIGN_OR_RETURN(std::optional<std::string> value,
                       txn.Get(Table::kIngests, Key({node.ns, node.key})));
      if (!value.has_value()) return absl::OkStatus();
      ASSIGN_OR_RETURN(IngestRecord ingest, DecodeIngest(node.key, *value));
      if (ingest.expected) emit({ResourceType::kContent, node.ns, ingest.expected->str()});
      return absl::OkStatus();
    }
    case ResourceType::kImage:
    case ResourceType::kContainer:
      return absl::OkStatus();  // emitted as roots with their references already
  }
  return absl::OkStatus();
}

absl::Status ScanCandidates(const Txn& txn, const std::function<void(Candidate)>& fn) {
  static constexpr std::string_view kUnreachable = "unreachable from any image, lease or gc.root";
  RETURN_IF_ERROR(ScanTable(txn, Table::kBlobs,
                            [&](const std::vector<std::string>& key, std::string_view value) {
                              ASSIGN_OR_RETURN(Digest digest, Digest::Parse(key[1]));
                              ASSIGN_OR_RETURN(content::Info info, DecodeBlob(digest, value));
                              fn({.node = {ResourceType::kContent, key[0], digest.str()},
                                  .bytes = info.size,
                                  .reason = std::string(kUnreachable)});
                              return absl::OkStatus();
                            }));
  RETURN_IF_ERROR(ScanTable(
      txn, Table::kSnapshots, [&](const std::vector<std::string>& key, std::string_view value) {
        ASSIGN_OR_RETURN(SnapshotRecord record, DecodeSnapshot(key[2], value));
        if (record.committing) return absl::OkStatus();  // always a root
        fn({.node = SnapshotNode(key[0], key[1], record.key), .reason = std::string(kUnreachable)});
        return absl::OkStatus();
      }));
  RETURN_IF_ERROR(ScanTable(
      txn, Table::kLeases, [&](const std::vector<std::string>& key, std::string_view value) {
        ASSIGN_OR_RETURN(leases::Lease lease, DecodeLease(key.back(), value));
        auto expire = lease.labels.find(std::string(gc::kLabelExpire));
        std::string reason = expire == lease.labels.end()
                                 ? std::string(kUnreachable)
                                 : fmt::format("expired at {}", expire->second);
        fn({.node = {ResourceType::kLease, key[0], lease.id}, .reason = std::move(reason)});
        return absl::OkStatus();
      }));
  RETURN_IF_ERROR(ScanTable(
      txn, Table::kIngests, [&](const std::vector<std::string>& key, std::string_view value) {
        ASSIGN_OR_RETURN(IngestRecord ingest, DecodeIngest(key.back(), value));
        std::string reason = ingest.lease.empty()
                                 ? fmt::format("unleased ingest expired at {}",
                                               absl::FormatTime(absl::RFC3339_sec, ingest.expire_at,
                                                                absl::UTCTimeZone()))
                                 : fmt::format("its lease \"{}\" is gone or expired", ingest.lease);
        std::optional<std::string> backend_ref;
        if (!ingest.shared) backend_ref = ingest.backend_ref;
        fn({.node = {ResourceType::kIngest, key[0], ingest.ref},
            .reason = std::move(reason),
            .backend_ref = std::move(backend_ref)});
        return absl::OkStatus();
      }));
  return absl::OkStatus();
}

absl::Status RemoveRecord(WriteTxn& txn, const Node& node) {
  switch (node.type) {
    case ResourceType::kContent:
      RETURN_IF_ERROR(txn.Delete(Table::kBlobs, Key({node.ns, node.key})).status());
      return txn.Delete(Table::kBlobRefs, Key({node.key, node.ns})).status();
    case ResourceType::kSnapshot: {
      std::string snapshotter, key;
      if (!gc::SplitSnapshotNodeKey(node.key, &snapshotter, &key)) return absl::OkStatus();
      ASSIGN_OR_RETURN(std::optional<SnapshotRecord> record,
                       LoadSnapshot(txn, node.ns, snapshotter, key));
      if (!record.has_value()) return absl::OkStatus();
      // No lease: a lease holding this snapshot would have marked it (or is expired and removed
      // with it).
      return DeleteSnapshot(txn, node.ns, snapshotter, *record, "");
    }
    case ResourceType::kLease:
      RETURN_IF_ERROR(txn.Delete(Table::kLeases, Key({node.ns, node.key})).status());
      return txn.DeletePrefix(Table::kLeaseResources, KeyPrefix({node.ns, node.key}));
    case ResourceType::kIngest:
      return txn.Delete(Table::kIngests, Key({node.ns, node.key})).status();
    case ResourceType::kImage:
    case ResourceType::kContainer:
      break;
  }
  return absl::InternalError(fmt::format("gc cannot sweep {}", gc::ToString(node)));
}

}  // namespace berth::metadata
