// The marker of a garbage collection whose disk phase has not finished: written by the sweep's commit,
// removed when the disk phase is done, so a daemon that starts and finds it knows a crash cut a
// collection short (metadata/gc_collector.h, FinishInterrupted). It lists the backend ingests of the
// swept ingest records, which nothing else names once their records are gone.
// Stored in table `meta` under key (`gc_disk_pending`) as {"backend_ingests":[...]} (schema.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "metadata/db.h"

namespace berth::metadata {

// The backend ingests of the pending disk phase; nullopt when none is pending.
absl::StatusOr<std::optional<std::vector<std::string>>> ReadGcDiskPending(const Txn& txn);
absl::Status WriteGcDiskPending(WriteTxn& txn, const std::vector<std::string>& backend_ingests);
absl::Status ClearGcDiskPending(WriteTxn& txn);

}  // namespace berth::metadata
