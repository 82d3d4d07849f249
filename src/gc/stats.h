// What one garbage collection removed (or, in a dry run, would remove) and why: the answer `berth
// gc` prints and the summary line the daemon logs.
#pragma once

#include <cstdint>
#include <functional>
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
  absl::Duration mark_duration;      // marking, the first part of metadata_duration
  absl::Duration metadata_duration;  // mark and sweep (one write transaction)
  absl::Duration disk_duration;      // blobs, ingests and snapshots on disk, after the commit

  // Metadata records of `type` removed.
  int Records(ResourceType type) const;
  // Objects of `type` removed from disk: blobs (kContent), backend snapshots, backend ingests.
  int OnDisk(ResourceType type) const;
  // Blobs deleted from disk, and their bytes.
  int Blobs() const { return OnDisk(ResourceType::kContent); }
  int64_t BlobBytes() const;
  bool Empty() const { return removed.empty(); }
  // One line: "removed 3 content, 2 snapshot, 1 lease, 0 ingest records; on disk 4 blobs (1.2 MiB),
  // 2 snapshots, 0 ingests; in 5 ms (mark 1 ms, sweep 1 ms, disk 3 ms)".
  std::string Summary() const;
};

// Where a collection is, for `berth gc` on a long run. Phases in order: "marking", "sweeping
// metadata" (done = total = records swept), "removing disk objects" (blobs and backend ingests, done
// of total), "removing snapshots" (backend snapshots no record owns; total unknown, 0).
struct Progress {
  std::string phase;
  int64_t done = 0;
  int64_t total = 0;
};
// Called on the collecting thread, never concurrently; it must not call back into the collector.
using ProgressFn = std::function<void(const Progress&)>;

}  // namespace berth::gc
