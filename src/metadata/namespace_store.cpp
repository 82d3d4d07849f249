#include "metadata/namespace_store.h"

#include "base/status.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "metadata/keys.h"
#include "metadata/records.h"
#include "metadata/snapshot_store.h"

namespace berth::metadata {

absl::StatusOr<std::string> RequireNamespace(const Context& ctx) {
  if (ctx.ns.empty()) return absl::InvalidArgumentError("namespace is required");
  RETURN_IF_ERROR(namespaces::ValidateName(ctx.ns));
  return ctx.ns;
}

absl::Status EnsureNamespace(WriteTxn& txn, const std::string& ns) {
  ASSIGN_OR_RETURN(std::optional<std::string> existing, txn.Get(Table::kNamespaces, Key({ns})));
  if (existing.has_value()) return absl::OkStatus();
  return txn.Put(Table::kNamespaces, Key({ns}), EncodeNamespace({.name = ns, .labels = {}}));
}

namespace {

absl::Status ValidateNamespaceLabels(const Labels& labels) {
  return WithContext(ValidateLabels(labels), "namespace.Labels");
}

absl::StatusOr<namespaces::Namespace> Load(const Txn& txn, const std::string& name) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, txn.Get(Table::kNamespaces, Key({name})));
  if (!value.has_value()) return absl::NotFoundError(fmt::format("namespace \"{}\": not found", name));
  return DecodeNamespace(name, *value);
}

}  // namespace

absl::Status NamespaceStore::Create(const namespaces::Namespace& ns) {
  RETURN_IF_ERROR(namespaces::ValidateName(ns.name));
  RETURN_IF_ERROR(ValidateNamespaceLabels(ns.labels));
  return db_->Update([&](WriteTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> existing, txn.Get(Table::kNamespaces, Key({ns.name})));
    if (existing.has_value()) {
      return absl::AlreadyExistsError(fmt::format("namespace \"{}\": already exists", ns.name));
    }
    return txn.Put(Table::kNamespaces, Key({ns.name}), EncodeNamespace(ns));
  });
}

absl::StatusOr<namespaces::Namespace> NamespaceStore::Get(const std::string& name) {
  RETURN_IF_ERROR(namespaces::ValidateName(name));
  ASSIGN_OR_RETURN(Txn txn, db_->BeginRead());
  return Load(txn, name);
}

absl::StatusOr<std::vector<std::string>> NamespaceStore::List() {
  std::vector<std::string> names;
  ASSIGN_OR_RETURN(Txn txn, db_->BeginRead());
  RETURN_IF_ERROR(txn.Scan(Table::kNamespaces, "", [&](std::string_view key, std::string_view) {
    names.push_back(SplitKey(key)[0]);
    return true;
  }));
  return names;
}

absl::StatusOr<namespaces::Namespace> NamespaceStore::Update(const namespaces::Namespace& ns,
                                                             const std::vector<std::string>& fieldpaths) {
  RETURN_IF_ERROR(namespaces::ValidateName(ns.name));
  namespaces::Namespace updated;
  RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
    RETURN_IF_ERROR(EnsureNamespace(txn, ns.name));
    ASSIGN_OR_RETURN(updated, Load(txn, ns.name));
    if (fieldpaths.empty()) updated.labels = ns.labels;
    for (const std::string& path : fieldpaths) {
      if (path == "labels") {
        updated.labels = ns.labels;
      } else if (path.starts_with("labels.")) {
        std::string key = path.substr(std::string_view("labels.").size());
        auto it = ns.labels.find(key);
        if (it == ns.labels.end() || it->second.empty()) {
          updated.labels.erase(key);
        } else {
          updated.labels[key] = it->second;
        }
      } else {
        return absl::InvalidArgumentError(
            fmt::format("cannot update \"{}\" field on namespace \"{}\"", path, ns.name));
      }
    }
    std::erase_if(updated.labels, [](const auto& kv) { return kv.second.empty(); });
    RETURN_IF_ERROR(ValidateNamespaceLabels(updated.labels));
    return txn.Put(Table::kNamespaces, Key({ns.name}), EncodeNamespace(updated));
  }));
  return updated;
}

absl::Status NamespaceStore::Delete(const std::string& name) {
  RETURN_IF_ERROR(namespaces::ValidateName(name));
  return db_->Update([&](WriteTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(bool exists, txn.Delete(Table::kNamespaces, Key({name})));
    if (!exists) return absl::NotFoundError(fmt::format("namespace \"{}\": not found", name));
    // containerd's order and words.
    static constexpr std::pair<Table, const char*> kHolders[] = {{Table::kImages, "images"},
                                                                 {Table::kBlobs, "blobs"},
                                                                 {Table::kContainers, "containers"},
                                                                 {Table::kLeases, "leases"}};
    std::string prefix = KeyPrefix({name});
    std::vector<std::string> left;
    for (const auto& [table, what] : kHolders) {
      ASSIGN_OR_RETURN(bool holds, txn.HasPrefix(table, prefix));
      if (holds) left.push_back(what);
    }
    ASSIGN_OR_RETURN(std::vector<std::string> snapshotters, SnapshottersInNamespace(txn, name));
    for (const std::string& sn : snapshotters) left.push_back(fmt::format("snapshots on \"{}\" snapshotter", sn));
    if (!left.empty()) {
      return absl::FailedPreconditionError(fmt::format("namespace \"{}\" must be empty, but it still has {}", name,
                                                       fmt::join(left, ", ")));
    }
    return txn.DeletePrefix(Table::kIngests, prefix);
  });
}

}  // namespace berth::metadata
