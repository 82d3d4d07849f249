// metadata::GarbageCollector: containerd's metadata GC (metadata/db.go GarbageCollect) over berth's
// tables and backends. One collection:
// 1. Mark and sweep in ONE write transaction: the roots and references of metadata/gc_graph.h are
//    traced (gc/mark.h), and every content record, snapshot record, lease (expired ones only: live
//    leases are roots) and ingest not reached is removed with its index entries. Marking inside the
//    write transaction, not in an earlier read transaction, is what keeps a record that a
//    concurrent writer makes reachable between the two from being swept: LMDB's single writer
//    plays the part of containerd's wlock.
// 2. After the commit, outside any transaction, the disk: backend ingests of swept ingest records
//    are aborted, every blob no namespace records and no ingest expects is deleted under its digest
//    lock (ContentStore::ReleaseBlob), and every SnapshotStore's Cleanup removes the backend
//    snapshots no record owns, children before parents.
// Crash safety: disk objects are deleted only after the commit that dropped their last record, so a
// crash at any point leaves nothing referenced missing; whatever stays on disk is found by the next
// collection, which always scans the backends rather than only what its own sweep removed. The
// sweep's commit also writes a marker (meta `gc_disk_pending`, with the backend ingests to abort)
// that the disk phase clears when done: FinishInterrupted, at start-up, completes a disk phase a
// crash cut short, so a restarted daemon shows no swept leftovers (berth fsck is clean).
// Fault injection (tests/integration/gc_crash_test.cpp only): BERTH_FAULT_GC_PAUSE_US=N makes
// every removal (record or disk object) pause N microseconds, so a SIGKILL lands inside a sweep.
//
// Scheduling (gc/schedule.h): Notify() after a deletion (the stores' set_on_delete hooks) runs a
// collection at once, rate-limited so a burst costs a run or two; a timer runs one periodically
// (expiring leases); Run() runs one now, after the one in progress.
//
// Thread-safe. `db`, `content` and the snapshot stores are not owned and must outlive the
// collector.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gc/scheduler.h"
#include "gc/stats.h"
#include "metadata/content_store.h"
#include "metadata/db.h"
#include "metadata/gc_graph.h"
#include "metadata/snapshot_store.h"

namespace berth::metadata {

struct GarbageCollectorOptions {
  gc::ScheduleOptions schedule;
  // Roots kept in stores outside this folder: the containers store registers one (tasks issue).
  std::vector<RootSource> extra_roots;
};

class GarbageCollector {
 public:
  // Starts the scheduler thread (which collects once schedule.startup_delay after, for crash
  // leftovers).
  GarbageCollector(Db* db, ContentStore* content, std::vector<SnapshotStore*> snapshotters,
                   GarbageCollectorOptions options = {});
  ~GarbageCollector();
  GarbageCollector(const GarbageCollector&) = delete;
  GarbageCollector& operator=(const GarbageCollector&) = delete;

  // One collection now; it sees every deletion committed before the call. A dry run changes nothing
  // and reports what a collection would remove from metadata and which blobs would leave the disk
  // (backend snapshots without a record are not predicted). Logs one summary line (info if anything
  // was removed). `progress` (optional) hears the phases and counts.
  absl::StatusOr<gc::Stats> Run(bool dry_run = false, const gc::ProgressFn& progress = {});
  // For a deletion that asks for `sync` (after it notified): returns once a collection that started after it has
  // succeeded, the background one if it is under way, else one run now.
  absl::Status RunAfterDeletion();

  // Finishes the disk phase of a collection a crash interrupted, if the marker says there was one.
  // Call once at start-up, before clients are served. Logs a summary line when it did something.
  absl::Status FinishInterrupted();

  // Something was deleted: collect soon (rate-limited). For the stores' set_on_delete hooks.
  void Notify() { scheduler_.Notify(); }
  std::function<void()> Notifier() {
    return [this] { Notify(); };
  }

  // The two phases of Run, for crash tests and the future fsck. Sweep marks and (unless dry_run)
  // commits the sweep; CleanDisk then removes from disk what no record references, adding to
  // `sweep.stats`.
  struct Sweep {
    gc::Stats stats;
    std::vector<std::string> backend_ingests;  // of the swept ingest records, to abort
    bool disk_pending = false;  // the marker (gc_pending.h) is set; CleanDisk clears it when done
  };
  absl::StatusOr<Sweep> SweepMetadata(bool dry_run, const gc::ProgressFn& progress = {});
  absl::Status CleanDisk(Sweep& sweep, const gc::ProgressFn& progress = {});

 private:
  absl::StatusOr<gc::Stats> Collect(bool dry_run, const gc::ProgressFn& progress);
  void FaultPause() const;
  // The backend blobs that no namespace would reference once `sweep` is committed, as Removals.
  absl::Status PredictBlobs(const Txn& txn, const std::vector<content::Info>& blobs,
                            const Sweep& sweep, std::vector<gc::Removal>* out) const;
  absl::StatusOr<std::vector<content::Info>> BackendBlobs();

  Db* db_;
  ContentStore* content_;
  std::vector<SnapshotStore*> snapshotters_;
  std::vector<RootSource> extra_roots_;
  absl::Duration fault_pause_;  // BERTH_FAULT_GC_PAUSE_US; zero unless a crash test sets it
  gc::Scheduler scheduler_;  // last: its thread calls into the members above, so it stops first
};

}  // namespace berth::metadata
