#include "metadata/gc_pending.h"

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "metadata/keys.h"

namespace berth::metadata {

namespace {

const std::string& PendingKey() {
  static const std::string key = Key({"gc_disk_pending"});
  return key;
}

}  // namespace

absl::StatusOr<std::optional<std::vector<std::string>>> ReadGcDiskPending(const Txn& txn) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, txn.Get(Table::kMeta, PendingKey()));
  if (!value.has_value()) return std::nullopt;
  nlohmann::json parsed = nlohmann::json::parse(*value, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> refs;
  // A marker that does not decode still says a disk phase is pending; only its ingest list is lost
  // (fsck names such ingests and --repair aborts them), which is better than failing every run.
  if (!parsed.is_object() || !parsed["backend_ingests"].is_array()) return refs;
  for (const nlohmann::json& ref : parsed["backend_ingests"]) {
    if (ref.is_string()) refs.push_back(ref.get<std::string>());
  }
  return refs;
}

absl::Status WriteGcDiskPending(WriteTxn& txn, const std::vector<std::string>& backend_ingests) {
  nlohmann::json value = {{"backend_ingests", backend_ingests}};
  // Refs are client strings; replace what is not UTF-8 rather than throw (an abort of such a ref
  // is retried by the next collection, which scans the ingest records again).
  return txn.Put(Table::kMeta, PendingKey(),
                 value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

absl::Status ClearGcDiskPending(WriteTxn& txn) {
  return txn.Delete(Table::kMeta, PendingKey()).status();
}

}  // namespace berth::metadata
