#include "metadata/container_store.h"

#include <algorithm>

#include "base/status.h"
#include "core/namespaces/namespaces.h"
#include "filters/filter.h"
#include "fmt/format.h"
#include "gc/labels.h"
#include "metadata/keys.h"
#include "metadata/namespace_store.h"

namespace berth::metadata {

namespace {

using containers::Container;

absl::Status Validate(const Container& c) {
  absl::Status id = namespaces::ValidateName(c.id);
  if (!id.ok()) return absl::InvalidArgumentError(fmt::format("container.ID: {}", std::string(id.message())));
  for (const auto& [k, v] : c.extensions) {
    if (k.empty()) return absl::InvalidArgumentError("container.Extension keys must not be zero-length: invalid argument");
  }
  RETURN_IF_ERROR(WithContext(ValidateLabels(c.labels), "containers.Labels"));
  if (c.runtime.name.empty()) return absl::InvalidArgumentError("container.Runtime.Name must be set: invalid argument");
  if (!c.spec.has_value()) return absl::InvalidArgumentError("container.Spec must be set: invalid argument");
  if (!c.snapshot_key.empty() && c.snapshotter.empty()) {
    return absl::InvalidArgumentError(
        "container.Snapshotter must be set if container.SnapshotKey is set: invalid argument");
  }
  return absl::OkStatus();
}

filters::Adaptor Adapt(const Container& c) {
  return [&c](const std::vector<std::string>& path) -> std::optional<std::string> {
    auto nonempty = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional(s); };
    if (path.empty()) return std::nullopt;
    if (path[0] == "id") return nonempty(c.id);
    if (path[0] == "image") return nonempty(c.image);
    if (path[0] == "snapshotter") return nonempty(c.snapshotter);
    if (path[0] == "snapshotkey") return nonempty(c.snapshot_key);
    if (path[0] == "runtime" && path.size() == 2 && path[1] == "name") return nonempty(c.runtime.name);
    if (path[0] == "labels") return filters::LabelLookup(c.labels, {path.begin() + 1, path.end()});
    return std::nullopt;
  };
}

absl::StatusOr<std::optional<Container>> Load(const Txn& txn, const std::string& ns, const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, txn.Get(Table::kContainers, Key({ns, id})));
  if (!value.has_value()) return std::nullopt;
  ASSIGN_OR_RETURN(Container c, DecodeContainer(id, *value));
  return c;
}

}  // namespace

absl::StatusOr<Container> ContainerStore::Get(const Context& ctx, const std::string& id) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  ASSIGN_OR_RETURN(Txn txn, db_->BeginRead());
  ASSIGN_OR_RETURN(std::optional<Container> c, Load(txn, ns, id));
  if (!c.has_value()) {
    return absl::NotFoundError(fmt::format("container \"{}\" in namespace \"{}\": not found", id, ns));
  }
  return *std::move(c);
}

absl::StatusOr<std::vector<Container>> ContainerStore::List(const Context& ctx,
                                                            const std::vector<std::string>& filters) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  absl::StatusOr<filters::Filter> filter = filters::Filter::Parse(filters);
  if (!filter.ok()) return absl::InvalidArgumentError(filter.status().message());
  std::vector<Container> out;
  absl::Status decode_error;
  ASSIGN_OR_RETURN(Txn txn, db_->BeginRead());
  RETURN_IF_ERROR(txn.Scan(Table::kContainers, KeyPrefix({ns}), [&](std::string_view key, std::string_view value) {
    absl::StatusOr<Container> c = DecodeContainer(SplitKey(key)[1], value);
    if (!c.ok()) {
      decode_error = c.status();
      return false;
    }
    if (filter->Match(Adapt(*c))) out.push_back(*std::move(c));
    return true;
  }));
  RETURN_IF_ERROR(decode_error);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

absl::StatusOr<Container> ContainerStore::Create(const Context& ctx, const Container& container) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  absl::Status valid = Validate(container);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(fmt::format("create container failed validation: {}", std::string(valid.message())));
  }
  Container created = container;
  created.created_at = created.updated_at = absl::Now();
  RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
    std::string key = Key({ns, container.id});
    ASSIGN_OR_RETURN(std::optional<std::string> existing, txn.Get(Table::kContainers, key));
    if (existing.has_value()) {
      return absl::AlreadyExistsError(fmt::format("container \"{}\": already exists", container.id));
    }
    RETURN_IF_ERROR(EnsureNamespace(txn, ns));
    return txn.Put(Table::kContainers, key, EncodeContainer(created));
  }));
  return created;
}

absl::StatusOr<Container> ContainerStore::Update(const Context& ctx, const Container& container,
                                                 const std::vector<std::string>& fieldpaths) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  if (container.id.empty()) return absl::InvalidArgumentError("must specify a container id: invalid argument");
  Container updated;
  RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<Container> current, Load(txn, ns, container.id));
    if (!current.has_value()) {
      return absl::NotFoundError(
          fmt::format("cannot update container \"{}\" in namespace \"{}\": not found", container.id, ns));
    }
    updated = *std::move(current);
    std::vector<std::string> paths = fieldpaths;
    if (paths.empty()) {
      // As containerd: a full replace touches only the mutable fields, and refuses to change the others.
      paths = {"labels", "spec", "extensions", "image", "snapshotkey"};
      if (updated.snapshotter != container.snapshotter) {
        return absl::InvalidArgumentError("container.Snapshotter field is immutable: invalid argument");
      }
      if (updated.runtime.name != container.runtime.name) {
        return absl::InvalidArgumentError("container.Runtime.Name field is immutable: invalid argument");
      }
    }
    for (const std::string& path : paths) {
      if (path.starts_with("labels.")) {
        std::string key = path.substr(7);
        auto it = container.labels.find(key);
        if (it == container.labels.end() || it->second.empty()) {
          updated.labels.erase(key);
        } else {
          updated.labels[key] = it->second;
        }
      } else if (path.starts_with("extensions.")) {
        std::string key = path.substr(11);
        auto it = container.extensions.find(key);
        if (it == container.extensions.end()) {
          updated.extensions.erase(key);
        } else {
          updated.extensions[key] = it->second;
        }
      } else if (path == "labels") {
        updated.labels = container.labels;
      } else if (path == "spec") {
        updated.spec = container.spec;
      } else if (path == "extensions") {
        updated.extensions = container.extensions;
      } else if (path == "image") {
        updated.image = container.image;
      } else if (path == "snapshotkey") {
        updated.snapshot_key = container.snapshot_key;
      } else {
        return absl::InvalidArgumentError(
            fmt::format("cannot update \"{}\" field on \"{}\": invalid argument", path, container.id));
      }
    }
    absl::Status valid = Validate(updated);
    if (!valid.ok()) return absl::InvalidArgumentError(fmt::format("update failed validation: {}", std::string(valid.message())));
    updated.updated_at = absl::Now();
    return txn.Put(Table::kContainers, Key({ns, container.id}), EncodeContainer(updated));
  }));
  return updated;
}

absl::Status ContainerStore::Delete(const Context& ctx, const std::string& id) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(bool existed, txn.Delete(Table::kContainers, Key({ns, id})));
    if (!existed) return absl::NotFoundError(fmt::format("container {}: not found", id));
    return absl::OkStatus();
  }));
  if (on_delete_) on_delete_();
  return absl::OkStatus();
}

absl::Status ContainerRoots(const Txn& txn, const EmitNode& emit) {
  absl::Status error;
  RETURN_IF_ERROR(txn.Scan(Table::kContainers, "", [&](std::string_view key, std::string_view value) {
    std::vector<std::string> parts = SplitKey(key);
    absl::StatusOr<Container> c = DecodeContainer(parts.back(), value);
    if (!c.ok()) {
      error = c.status();
      return false;
    }
    const std::string& ns = parts[0];
    if (!c->snapshotter.empty()) {
      emit({gc::ResourceType::kSnapshot, ns, gc::SnapshotNodeKey(c->snapshotter, c->snapshot_key)});
    }
    gc::LabelReferences(ns, c->labels, emit);
    return true;
  }));
  return error;
}

}  // namespace berth::metadata
