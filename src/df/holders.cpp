#include "df/holders.h"

#include <vector>

#include "base/status.h"
#include "gc/labels.h"
#include "gc/mark.h"
#include "metadata/container_store.h"
#include "metadata/gc_graph.h"
#include "metadata/keys.h"
#include "metadata/records.h"
#include "metadata/snapshot_record.h"

namespace berth::df {

namespace {

using gc::Node;
using gc::ResourceType;
using metadata::Table;

// Roots grouped by the holder people know them by.
using RootGroups = std::map<std::string, std::vector<Node>>;

absl::Status ScanTable(const metadata::Txn& txn, Table table,
                       const std::function<absl::Status(const std::vector<std::string>& key,
                                                        std::string_view value)>& fn) {
  absl::Status error;
  RETURN_IF_ERROR(txn.Scan(table, "", [&](std::string_view key, std::string_view value) {
    error = fn(metadata::SplitKey(key), value);
    return error.ok();
  }));
  return error;
}

absl::StatusOr<RootGroups> GroupRoots(const metadata::Txn& txn, absl::Time now) {
  RootGroups groups;
  auto add = [&](const std::string& holder) { return [&groups, holder](Node n) { groups[holder].push_back(n); }; };
  RETURN_IF_ERROR(ScanTable(txn, Table::kImages, [&](const auto& key, std::string_view value) {
    ASSIGN_OR_RETURN(images::Image image, metadata::DecodeImage(key.back(), value));
    auto emit = add("image " + image.name);
    emit({ResourceType::kContent, key[0], image.target.digest.str()});
    gc::LabelReferences(key[0], image.labels, emit);
    return absl::OkStatus();
  }));
  RETURN_IF_ERROR(ScanTable(txn, Table::kLeases, [&](const auto& key, std::string_view value) {
    ASSIGN_OR_RETURN(leases::Lease lease, metadata::DecodeLease(key.back(), value));
    if (!gc::LeaseExpired(lease.labels, now)) add("lease " + lease.id)({ResourceType::kLease, key[0], lease.id});
    return absl::OkStatus();
  }));
  RETURN_IF_ERROR(ScanTable(txn, Table::kBlobs, [&](const auto& key, std::string_view value) {
    ASSIGN_OR_RETURN(Digest digest, Digest::Parse(key[1]));
    ASSIGN_OR_RETURN(content::Info info, metadata::DecodeBlob(digest, value));
    if (gc::IsRootLabelled(info.labels)) add("gc.root")({ResourceType::kContent, key[0], digest.str()});
    return absl::OkStatus();
  }));
  RETURN_IF_ERROR(ScanTable(txn, Table::kSnapshots, [&](const auto& key, std::string_view value) {
    ASSIGN_OR_RETURN(metadata::SnapshotRecord record, metadata::DecodeSnapshot(key[2], value));
    Node node{ResourceType::kSnapshot, key[0], gc::SnapshotNodeKey(key[1], record.key)};
    if (record.committing) {
      add("commit in flight")(node);
    } else if (gc::IsRootLabelled(record.labels)) {
      add("gc.root")(node);
    }
    return absl::OkStatus();
  }));
  RETURN_IF_ERROR(ScanTable(txn, Table::kIngests, [&](const auto& key, std::string_view value) {
    ASSIGN_OR_RETURN(metadata::IngestRecord ingest, metadata::DecodeIngest(key.back(), value));
    if (ingest.lease.empty() && ingest.expire_at > now) {
      add("ingest " + ingest.ref)({ResourceType::kIngest, key[0], ingest.ref});
    }
    return absl::OkStatus();
  }));
  // Containers: their snapshot and what their gc.ref labels name (as metadata::ContainerRoots emits them).
  RETURN_IF_ERROR(ScanTable(txn, Table::kContainers, [&](const auto& key, std::string_view value) {
    ASSIGN_OR_RETURN(containers::Container c, metadata::DecodeContainer(key.back(), value));
    auto emit = add("container " + c.id);
    if (!c.snapshotter.empty() && !c.snapshot_key.empty()) {
      emit({ResourceType::kSnapshot, key[0], gc::SnapshotNodeKey(c.snapshotter, c.snapshot_key)});
    }
    gc::LabelReferences(key[0], c.labels, emit);
    return absl::OkStatus();
  }));
  return groups;
}

}  // namespace

absl::StatusOr<HolderMap> FindHolders(const metadata::Txn& txn, absl::Time now) {
  ASSIGN_OR_RETURN(RootGroups groups, GroupRoots(txn, now));
  HolderMap holders;
  auto refs = [&](const Node& n, const std::function<void(Node)>& emit) {
    return metadata::References(txn, n, emit);
  };
  for (const auto& [holder, roots] : groups) {
    ASSIGN_OR_RETURN(gc::NodeSet reached, gc::Mark(roots, refs));
    for (const Node& n : reached) holders[n].insert(holder);
  }
  return holders;
}

}  // namespace berth::df
