#include "metadata/snapshot_record.h"

#include "fmt/format.h"
#include "metadata/keys.h"
#include "nlohmann/json.hpp"

namespace berth::metadata {

namespace {

using nlohmann::json;

int64_t Nanos(absl::Time t) { return absl::ToUnixNanos(t); }

absl::Time TimeField(const json& j, const char* field) {
  auto it = j.find(field);
  return it == j.end() ? absl::UnixEpoch() : absl::FromUnixNanos(it->get<int64_t>());
}

std::string StringField(const json& j, const char* field) {
  auto it = j.find(field);
  return it == j.end() ? std::string() : it->get<std::string>();
}

}  // namespace

std::string EncodeSnapshot(const SnapshotRecord& record) {
  json j{{"key", record.key},
         {"backend_key", record.backend_key},
         {"created_at", Nanos(record.created_at)},
         {"updated_at", Nanos(record.updated_at)}};
  if (!record.parent.empty()) j["parent"] = record.parent;
  if (!record.labels.empty()) j["labels"] = record.labels;
  if (record.committing) {
    json pending{{"key", record.committing->key}, {"backend_key", record.committing->backend_key}};
    if (!record.committing->lease.empty()) pending["lease"] = record.committing->lease;
    j["committing"] = std::move(pending);
  }
  return j.dump();
}

absl::StatusOr<SnapshotRecord> DecodeSnapshot(std::string_view key, std::string_view value) {
  try {
    json j = json::parse(value);
    if (!j.is_object()) throw std::runtime_error("not a JSON object");
    SnapshotRecord record;
    record.key = j.contains("key") ? j["key"].get<std::string>() : std::string(key);
    record.backend_key = StringField(j, "backend_key");
    record.parent = StringField(j, "parent");
    if (auto it = j.find("labels"); it != j.end()) record.labels = it->get<Labels>();
    record.created_at = TimeField(j, "created_at");
    record.updated_at = TimeField(j, "updated_at");
    if (auto it = j.find("committing"); it != j.end()) {
      record.committing = PendingCommit{.key = StringField(*it, "key"),
                                        .backend_key = StringField(*it, "backend_key"),
                                        .lease = StringField(*it, "lease")};
    }
    if (record.backend_key.empty()) throw std::runtime_error("no backend_key");
    return record;
  } catch (const std::exception& e) {
    return absl::DataLossError(
        fmt::format("metadata: corrupt record for snapshot \"{}\": {}", key, e.what()));
  }
}

std::string SnapshotKey(std::string_view ns, std::string_view snapshotter, std::string_view key) {
  return Key({ns, snapshotter, key});
}

std::string SnapshotPrefix(std::string_view ns, std::string_view snapshotter) {
  return KeyPrefix({ns, snapshotter});
}

std::string ChildKey(std::string_view ns, std::string_view snapshotter, std::string_view parent,
                     std::string_view child) {
  return Key({ns, snapshotter, parent, child});
}

std::string ChildrenPrefix(std::string_view ns, std::string_view snapshotter,
                           std::string_view parent) {
  return KeyPrefix({ns, snapshotter, parent});
}

std::string SequenceKey(std::string_view snapshotter) { return Key({"snapshot_seq", snapshotter}); }

}  // namespace berth::metadata
