#include "plugins/snapshots/storage/metastore.h"

#include <cstdint>

#include "base/status.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace berth::snapshots::storage {
namespace {

enum TableIndex { kMeta = 0, kSnapshots = 1, kChildren = 2 };
constexpr std::string_view kVersionKey = "version";
constexpr std::string_view kNextIdKey = "next_id";
constexpr std::string_view kVersion = "1";

// Fixed width so that a prefix scan on a parent id never matches a longer id ("1/" vs "12/").
std::string ChildKey(const std::string& parent_id, const std::string& child_id) {
  return fmt::format("{:0>20}/{:0>20}", parent_id, child_id);
}
std::string ChildPrefix(const std::string& parent_id) { return fmt::format("{:0>20}/", parent_id); }

int64_t ToNanos(absl::Time t) { return absl::ToUnixNanos(t); }

std::string Encode(const Record& r) {
  nlohmann::json j = {
      {"id", r.id},
      {"kind", static_cast<int>(r.info.kind)},
      {"parent", r.info.parent},
      {"labels", r.info.labels},
      {"created", ToNanos(r.info.created_at)},
      {"updated", ToNanos(r.info.updated_at)},
      {"size", r.usage.size},
      {"inodes", r.usage.inodes},
  };
  return j.dump();
}

absl::StatusOr<Record> Decode(const std::string& key, std::string_view value) {
  try {
    nlohmann::json j = nlohmann::json::parse(value);
    Record r;
    r.id = j.at("id").get<std::string>();
    r.info.name = key;
    r.info.kind = static_cast<Kind>(j.at("kind").get<int>());
    r.info.parent = j.at("parent").get<std::string>();
    r.info.labels = j.at("labels").get<Labels>();
    r.info.created_at = absl::FromUnixNanos(j.at("created").get<int64_t>());
    r.info.updated_at = absl::FromUnixNanos(j.at("updated").get<int64_t>());
    r.usage.size = j.at("size").get<int64_t>();
    r.usage.inodes = j.at("inodes").get<int64_t>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(fmt::format("snapshot metastore: record of snapshot {:?} is corrupt: {}", key,
                                           e.what()));
  }
}

// containerd's boltutil.WriteLabels drops empty values: an empty value means "no such label".
Labels WithoutEmpty(Labels labels) {
  std::erase_if(labels, [](const auto& kv) { return kv.second.empty(); });
  return labels;
}

absl::Status ValidateKey(const std::string& key, std::string_view what) {
  if (key.empty()) return absl::InvalidArgumentError(fmt::format("snapshot {} must not be empty", what));
  return absl::OkStatus();
}

absl::Status Put(LmdbWriteTxn& txn, const Record& r) {
  return txn.Put(kSnapshots, r.info.name, Encode(r));
}

absl::StatusOr<std::string> NextId(LmdbWriteTxn& txn) {
  ASSIGN_OR_RETURN(std::optional<std::string> last, txn.Get(kMeta, kNextIdKey));
  uint64_t next = 1;
  if (last.has_value()) {
    try {
      next = std::stoull(*last) + 1;
    } catch (const std::exception&) {
      return absl::DataLossError(fmt::format("snapshot metastore: id counter {:?} is corrupt", *last));
    }
  }
  std::string id = std::to_string(next);
  RETURN_IF_ERROR(txn.Put(kMeta, kNextIdKey, id));
  return id;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetaStore>> MetaStore::Open(const std::filesystem::path& dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<LmdbEnv> env, LmdbEnv::Open(dir, {"meta", "snapshots", "children"}));
  ASSIGN_OR_RETURN(LmdbWriteTxn txn, env->BeginWrite());
  ASSIGN_OR_RETURN(std::optional<std::string> version, txn.Get(kMeta, kVersionKey));
  if (!version.has_value()) {
    RETURN_IF_ERROR(txn.Put(kMeta, kVersionKey, kVersion));
  } else if (*version != kVersion) {
    return absl::FailedPreconditionError(fmt::format(
        "snapshot metastore {}: schema version {} is not supported (this berthd knows version {})",
        dir.string(), *version, kVersion));
  }
  RETURN_IF_ERROR(txn.Commit());
  return std::unique_ptr<MetaStore>(new MetaStore(std::move(env)));
}

absl::StatusOr<Record> MetaStore::Get(const LmdbTxn& txn, const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, txn.Get(kSnapshots, key));
  if (!value.has_value()) return absl::NotFoundError(fmt::format("snapshot {:?} does not exist", key));
  return Decode(key, *value);
}

absl::StatusOr<Snapshot> MetaStore::GetSnapshot(const LmdbTxn& txn, const std::string& key) {
  ASSIGN_OR_RETURN(Record r, Get(txn, key));
  Snapshot s{.id = r.id, .kind = r.info.kind};
  std::string parent = r.info.parent;
  while (!parent.empty()) {
    absl::StatusOr<Record> p = Get(txn, parent);
    if (!p.ok()) {
      return absl::DataLossError(fmt::format("snapshot {:?}: parent {:?} in its chain is missing: {}", key,
                                             parent, std::string(p.status().message())));
    }
    s.parent_ids.push_back(p->id);
    parent = p->info.parent;
  }
  return s;
}

absl::StatusOr<Snapshot> MetaStore::Create(LmdbWriteTxn& txn, Kind kind, const std::string& key,
                                           const std::string& parent, const Labels& labels) {
  RETURN_IF_ERROR(ValidateKey(key, "key"));
  if (kind != Kind::kActive && kind != Kind::kView) {
    return absl::InvalidArgumentError(
        fmt::format("snapshot {:?}: only Active or View snapshots can be created", key));
  }
  RETURN_IF_ERROR(ValidateLabels(labels));
  ASSIGN_OR_RETURN(std::optional<std::string> existing, txn.Get(kSnapshots, key));
  if (existing.has_value()) return absl::AlreadyExistsError(fmt::format("snapshot {:?} already exists", key));
  std::string parent_id;
  if (!parent.empty()) {
    absl::StatusOr<Record> p = Get(txn, parent);
    if (absl::IsNotFound(p.status())) {
      return absl::NotFoundError(fmt::format("parent {:?} of snapshot {:?} does not exist", parent, key));
    }
    RETURN_IF_ERROR(p.status());
    if (p->info.kind != Kind::kCommitted) {
      return absl::InvalidArgumentError(
          fmt::format("parent {:?} of snapshot {:?} is not a committed snapshot; commit it first", parent, key));
    }
    parent_id = p->id;
  }
  ASSIGN_OR_RETURN(std::string id, NextId(txn));
  absl::Time now = absl::Now();
  Record r{.id = id,
           .info = {.kind = kind, .name = key, .parent = parent, .labels = WithoutEmpty(labels),
                    .created_at = now, .updated_at = now}};
  RETURN_IF_ERROR(Put(txn, r));
  if (!parent_id.empty()) RETURN_IF_ERROR(txn.Put(kChildren, ChildKey(parent_id, id), key));
  return GetSnapshot(txn, key);
}

absl::StatusOr<std::string> MetaStore::Commit(LmdbWriteTxn& txn, const std::string& key,
                                              const std::string& name, const Usage& usage,
                                              const Labels& labels) {
  RETURN_IF_ERROR(ValidateKey(name, "name"));
  RETURN_IF_ERROR(ValidateLabels(labels));
  ASSIGN_OR_RETURN(std::optional<std::string> existing, txn.Get(kSnapshots, name));
  if (existing.has_value()) {
    return absl::AlreadyExistsError(fmt::format("committed snapshot {:?} already exists", name));
  }
  ASSIGN_OR_RETURN(Record r, Get(txn, key));
  if (r.info.kind != Kind::kActive) {
    return absl::FailedPreconditionError(
        fmt::format("snapshot {:?} is not active and cannot be committed", key));
  }
  RETURN_IF_ERROR(txn.Delete(kSnapshots, key).status());
  absl::Time now = absl::Now();
  r.info.name = name;
  r.info.kind = Kind::kCommitted;
  r.info.labels = WithoutEmpty(labels);
  r.info.created_at = now;
  r.info.updated_at = now;
  r.usage = usage;
  RETURN_IF_ERROR(Put(txn, r));
  if (!r.info.parent.empty()) {
    ASSIGN_OR_RETURN(Record p, Get(txn, r.info.parent));
    RETURN_IF_ERROR(txn.Put(kChildren, ChildKey(p.id, r.id), name));
  }
  return r.id;
}

absl::StatusOr<Record> MetaStore::Remove(LmdbWriteTxn& txn, const std::string& key) {
  ASSIGN_OR_RETURN(Record r, Get(txn, key));
  ASSIGN_OR_RETURN(bool has_children, txn.HasPrefix(kChildren, ChildPrefix(r.id)));
  if (has_children) {
    return absl::FailedPreconditionError(
        fmt::format("cannot remove snapshot {:?}: it has children; remove them first", key));
  }
  RETURN_IF_ERROR(txn.Delete(kSnapshots, key).status());
  if (!r.info.parent.empty()) {
    ASSIGN_OR_RETURN(Record p, Get(txn, r.info.parent));
    RETURN_IF_ERROR(txn.Delete(kChildren, ChildKey(p.id, r.id)).status());
  }
  return r;
}

absl::StatusOr<Info> MetaStore::Update(LmdbWriteTxn& txn, const Info& info,
                                       const std::vector<std::string>& fieldpaths) {
  ASSIGN_OR_RETURN(Record r, Get(txn, info.name));
  Labels labels = r.info.labels;
  if (fieldpaths.empty()) {
    labels = info.labels;
  } else {
    for (const std::string& path : fieldpaths) {
      if (path.starts_with("labels.")) {
        std::string label = path.substr(7);
        auto it = info.labels.find(label);
        labels[label] = it == info.labels.end() ? "" : it->second;
      } else if (path == "labels") {
        labels = info.labels;
      } else {
        return absl::InvalidArgumentError(
            fmt::format("cannot update field {:?} of snapshot {:?}: only labels can change", path, info.name));
      }
    }
  }
  labels = WithoutEmpty(std::move(labels));
  RETURN_IF_ERROR(ValidateLabels(labels));
  r.info.labels = std::move(labels);
  r.info.updated_at = absl::Now();
  RETURN_IF_ERROR(Put(txn, r));
  return r.info;
}

absl::Status MetaStore::Walk(const LmdbTxn& txn, const std::function<absl::Status(const Record&)>& fn) {
  absl::Status result;
  RETURN_IF_ERROR(txn.Scan(kSnapshots, "", [&](std::string_view key, std::string_view value) {
    absl::StatusOr<Record> r = Decode(std::string(key), value);
    result = r.ok() ? fn(*r) : r.status();
    return result.ok();
  }));
  return result;
}

absl::StatusOr<std::set<std::string>> MetaStore::Ids(const LmdbTxn& txn) {
  std::set<std::string> ids;
  RETURN_IF_ERROR(Walk(txn, [&](const Record& r) {
    ids.insert(r.id);
    return absl::OkStatus();
  }));
  return ids;
}

}  // namespace berth::snapshots::storage
