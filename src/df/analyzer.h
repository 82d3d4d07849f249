// berth df: walks the daemon's root and attributes every byte to an object the metadata knows (a blob, a
// snapshot, an ingest, with their holders) or to nothing (an orphan), and says what `berth gc` would free.
// It reads only: the metadata Db in one read transaction, the backends' listings and their disk layouts.
// Objects created or removed while it runs may be missed or show as orphans; the totals stay those of the disk.
//
// Thread-safe (no state between calls). Pointers are not owned and must outlive the analyzer.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "df/report.h"
#include "metadata/db.h"
#include "metadata/snapshot_store.h"
#include "plugins/content/local/local_store.h"

namespace berth::df {

struct AnalyzerDeps {
  std::string root;                    // the daemon's root directory
  metadata::Db* db = nullptr;
  content::LocalStore* blobs = nullptr;  // the backend of the metadata content store
  std::vector<metadata::SnapshotStore*> snapshotters;
};

class Analyzer {
 public:
  explicit Analyzer(AnalyzerDeps deps) : deps_(std::move(deps)) {}
  absl::StatusOr<Report> Analyze() const;

 private:
  AnalyzerDeps deps_;
};

}  // namespace berth::df
