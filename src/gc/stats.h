// What one garbage collection removed (or, in a dry run, would remove) and why: the answer `berth
// gc` prints and the summary line the daemon logs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gc/node.h"

namespace berth::gc {

struct Removal {
  Node node;  // for a disk object, the namespace is empty (disk objects belong to no namespace)
  bool on_disk = false;  // a blob (or backend ingest) on disk rather than a metadata record
  std::string
      reason;  // "unreachable from any root", "lease expired at ...", "no namespace references it"
  int64_t bytes = 0;  // content size where known, else 0
};

struct Stats {
  bool dry_run = false;
  std::vector<Removal> removed;
  absl::Duration metadata_duration;  // mark and sweep (one write transaction)
  absl::Duration disk_duration;      // blobs, ingests and snapshots on disk, after the commit

  // Metadata records of `type` removed.
  int Records(ResourceType type) const;
  // Blobs deleted from disk, and their bytes.
  int Blobs() const;
  int64_t BlobBytes() const;
  bool Empty() const { return removed.empty(); }
  // One line: "removed 3 content, 2 snapshot, 1 lease, 0 ingest records and 4 blobs (1.2 MiB) in 5
  // ms (metadata 2 ms, disk 3 ms)".
  std::string Summary() const;
};

}  // namespace berth::gc
