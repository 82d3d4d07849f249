#include "metadata/gc_collector.h"

#include <charconv>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

#include "absl/time/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "fmt/format.h"
#include "gc/mark.h"
#include "metadata/gc_blob_release.h"
#include "metadata/gc_pending.h"
#include "metadata/keys.h"
#include "metadata/records.h"

namespace berth::metadata {

namespace {

using gc::Node;
using gc::ResourceType;

constexpr std::string_view kNoRecord = "no namespace records it and no ingest expects it";

// BERTH_FAULT_GC_PAUSE_US (gc_collector.h): zero unless set to a positive number, at most 1 s. A failpoint: only
// builds with tests (BERTH_TESTS, which defines BERTH_FAILPOINTS) have it.
absl::Duration FaultPauseFromEnv() {
#ifndef BERTH_FAILPOINTS
  return absl::ZeroDuration();
#else
  const char* v = std::getenv("BERTH_FAULT_GC_PAUSE_US");
  if (v == nullptr) return absl::ZeroDuration();
  int64_t us = 0;
  std::string_view text(v);
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), us);
  if (error != std::errc() || end != text.data() + text.size() || us <= 0) return absl::ZeroDuration();
  log::Warn("gc: fault injection on: every removal pauses {} us (BERTH_FAULT_GC_PAUSE_US)", us);
  return absl::Microseconds(std::min<int64_t>(us, 1'000'000));
#endif
}

// Progress of a phase with many objects: at most every 200 ms, and always at its end.
class Throttled {
 public:
  Throttled(const gc::ProgressFn& fn, std::string phase, int64_t total)
      : fn_(fn), phase_(std::move(phase)), total_(total) {}
  void Done(int64_t done) {
    absl::Time now = absl::Now();
    if (!fn_ || (done != total_ && now - last_ < absl::Milliseconds(200))) return;
    last_ = now;
    fn_({.phase = phase_, .done = done, .total = total_});
  }

 private:
  const gc::ProgressFn& fn_;
  std::string phase_;
  int64_t total_;
  absl::Time last_ = absl::InfinitePast();
};

// Marks from the roots and lists the unmarked candidates, all within `txn`.
absl::StatusOr<std::vector<Candidate>> Unmarked(const Txn& txn, absl::Time now,
                                                const std::vector<RootSource>& extra_roots) {
  std::vector<Node> roots;
  RETURN_IF_ERROR(ScanRoots(txn, now, extra_roots, [&](Node n) { roots.push_back(std::move(n)); }));
  ASSIGN_OR_RETURN(gc::NodeSet marked,
                   gc::Mark(roots, [&](const Node& n, const std::function<void(Node)>& emit) {
                     return References(txn, n, emit);
                   }));
  std::vector<Candidate> unmarked;
  RETURN_IF_ERROR(ScanCandidates(txn, [&](Candidate c) {
    if (!marked.contains(c.node)) unmarked.push_back(std::move(c));
  }));
  return unmarked;
}

}  // namespace

GarbageCollector::GarbageCollector(Db* db, ContentStore* content,
                                   std::vector<SnapshotStore*> snapshotters,
                                   GarbageCollectorOptions options)
    : db_(db),
      content_(content),
      snapshotters_(std::move(snapshotters)),
      extra_roots_(std::move(options.extra_roots)),
      fault_pause_(FaultPauseFromEnv()),
      scheduler_(
          [this] {
            absl::Status s = Collect(false, {}).status();
            // The background run is the boundary: nobody else will see this error.
            if (!s.ok()) log::Warn("gc: collection failed: {}", std::string(s.message()));
            return s.ok();
          },
          options.schedule) {}

GarbageCollector::~GarbageCollector() = default;

absl::StatusOr<gc::Stats> GarbageCollector::Run(bool dry_run, const gc::ProgressFn& progress) {
  // A dry run only reads, so it need not wait for a collection in progress.
  if (dry_run) return Collect(true, progress);
  absl::StatusOr<gc::Stats> stats = absl::UnknownError("gc did not run");
  scheduler_.RunExclusive([&] { stats = Collect(false, progress); });
  return stats;
}

absl::Status GarbageCollector::RunAfterDeletion() {
  absl::Status status;
  scheduler_.RunUnlessServed([&] {
    status = Collect(false, {}).status();
    return status.ok();
  });
  return status;
}

absl::Status GarbageCollector::FinishInterrupted() {
  absl::Status result;
  scheduler_.RunAside([&] {
    Sweep sweep;
    result = db_->View([&](const Txn& txn) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> pending, ReadGcDiskPending(txn));
      sweep.disk_pending = pending.has_value();
      if (pending.has_value()) sweep.backend_ingests = *std::move(pending);
      return absl::OkStatus();
    });
    if (!result.ok() || !sweep.disk_pending) return;
    result = CleanDisk(sweep);
    if (result.ok()) log::Info("gc: finished a collection a crash interrupted: {}", sweep.stats.Summary());
  });
  return WithContext(result, "gc: finish the disk phase of an interrupted collection");
}

void GarbageCollector::FaultPause() const {
  if (fault_pause_ > absl::ZeroDuration()) std::this_thread::sleep_for(absl::ToChronoMicroseconds(fault_pause_));
}

absl::StatusOr<gc::Stats> GarbageCollector::Collect(bool dry_run, const gc::ProgressFn& progress) {
  ASSIGN_OR_RETURN(Sweep sweep, SweepMetadata(dry_run, progress));
  if (!dry_run) RETURN_IF_ERROR(CleanDisk(sweep, progress));
  gc::Stats& stats = sweep.stats;
  for (const gc::Removal& r : stats.removed) {
    log::Debug("gc: {} {}{}: {}", dry_run ? "would remove" : "removed", r.on_disk ? "on disk " : "",
               gc::ToString(r.node), r.reason);
  }
  // The one summary line of the run, also when it found nothing: the log shows every run.
  log::Info("gc{}: {}", dry_run ? " --dry-run" : "", stats.Summary());
  return std::move(stats);
}

absl::StatusOr<GarbageCollector::Sweep> GarbageCollector::SweepMetadata(
    bool dry_run, const gc::ProgressFn& progress) {
  absl::Time start = absl::Now();
  if (progress) progress({.phase = "marking"});
  Sweep sweep;
  sweep.stats.dry_run = dry_run;
  auto record = [&](const std::vector<Candidate>& unmarked) {
    for (const Candidate& c : unmarked) {
      sweep.stats.removed.push_back(
          {.node = c.node, .on_disk = false, .reason = c.reason, .bytes = c.bytes});
      if (c.backend_ref) sweep.backend_ingests.push_back(*c.backend_ref);
    }
  };
  if (dry_run) {
    // The backend is listed before the read transaction: a blob that appears in between is not
    // predicted, which is all a dry run can promise anyway.
    ASSIGN_OR_RETURN(std::vector<content::Info> blobs, BackendBlobs());
    RETURN_IF_ERROR(db_->View([&](const Txn& txn) -> absl::Status {
      ASSIGN_OR_RETURN(std::vector<Candidate> unmarked, Unmarked(txn, absl::Now(), extra_roots_));
      sweep.stats.mark_duration = absl::Now() - start;
      record(unmarked);
      return PredictBlobs(txn, blobs, sweep, &sweep.stats.removed);
    }));
  } else {
    RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
      sweep = Sweep{};
      ASSIGN_OR_RETURN(std::vector<Candidate> unmarked, Unmarked(txn, absl::Now(), extra_roots_));
      sweep.stats.mark_duration = absl::Now() - start;
      // Removed after the scan, never while its cursor is open.
      for (const Candidate& c : unmarked) {
        RETURN_IF_ERROR(RemoveRecord(txn, c.node));
        FaultPause();
      }
      record(unmarked);
      // The marker commits with the sweep: from here on a crash leaves a disk phase to finish.
      ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> pending, ReadGcDiskPending(txn));
      sweep.disk_pending = pending.has_value() || !unmarked.empty();
      if (pending.has_value()) {
        sweep.backend_ingests.insert(sweep.backend_ingests.end(), pending->begin(), pending->end());
      }
      if (!unmarked.empty()) RETURN_IF_ERROR(WriteGcDiskPending(txn, sweep.backend_ingests));
      return absl::OkStatus();
    }));
    if (progress) {
      int64_t swept = static_cast<int64_t>(sweep.stats.removed.size());
      progress({.phase = "sweeping metadata", .done = swept, .total = swept});
    }
  }
  sweep.stats.metadata_duration = absl::Now() - start;
  return sweep;
}

absl::Status GarbageCollector::CleanDisk(Sweep& sweep, const gc::ProgressFn& progress) {
  absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(std::vector<content::Info> blobs, BackendBlobs());
  std::vector<gc::Removal> candidates;
  RETURN_IF_ERROR(
      db_->View([&](const Txn& txn) { return PredictBlobs(txn, blobs, Sweep{}, &candidates); }));
  const int64_t total = static_cast<int64_t>(sweep.backend_ingests.size() + candidates.size());
  int64_t done = 0;
  Throttled disk(progress, "removing disk objects", total);
  disk.Done(0);

  for (const std::string& ref : sweep.backend_ingests) {
    absl::Status s = content_->backend().Abort(Context{}, ref);
    disk.Done(++done);
    // Unavailable: a writer still holds it; it cannot commit without its record and is retried next
    // time.
    if (absl::IsNotFound(s) || absl::IsUnavailable(s)) continue;
    RETURN_IF_ERROR(WithContext(s, fmt::format("gc: abort backend ingest {}", ref)));
    sweep.stats.removed.push_back({.node = {ResourceType::kIngest, "", ref},
                                   .on_disk = true,
                                   .reason = "its ingest record was swept"});
    FaultPause();
  }

  // Snapshots are removed beside the blobs, as containerd does: both mostly wait for the disk (a
  // transaction and a directory per snapshot, an unlink per blob). Their reports take turns on `mu`.
  std::mutex mu;
  int64_t snapshots = 0;
  Throttled snapshot_progress(progress, "removing snapshots", 0);
  absl::Status snapshots_status;
  std::jthread snapshot_remover([&] {
    for (SnapshotStore* store : snapshotters_) {
      auto removed = [&](const std::string& backend_key) {
        std::lock_guard lock(mu);
        sweep.stats.removed.push_back(
            {.node = {ResourceType::kSnapshot, "", gc::SnapshotNodeKey(store->snapshotter(), backend_key)},
             .on_disk = true,
             .reason = "no snapshot record owns it"});
        snapshot_progress.Done(++snapshots);
        FaultPause();
      };
      snapshots_status = WithContext(store->Cleanup(Context{}, removed),
                                     fmt::format("gc: clean up snapshotter {}", store->snapshotter()));
      if (!snapshots_status.ok()) return;
    }
  });
  // Checked again under each digest's lock: a commit may have recorded it since the read above.
  absl::Status blobs_status = ReleaseBlobs(*content_, candidates, kBlobReleaseThreads,
                                           [&](gc::Removal& blob, bool deleted) {
                                             std::lock_guard lock(mu);
                                             disk.Done(++done);
                                             if (deleted) sweep.stats.removed.push_back(std::move(blob));
                                             FaultPause();
                                           });
  snapshot_remover.join();
  RETURN_IF_ERROR(blobs_status);
  RETURN_IF_ERROR(snapshots_status);
  if (progress && snapshots > 0) progress({.phase = "removing snapshots", .done = snapshots});
  if (sweep.disk_pending) {
    RETURN_IF_ERROR(db_->Update([](WriteTxn& txn) { return ClearGcDiskPending(txn); }));
    sweep.disk_pending = false;
  }
  sweep.stats.disk_duration = absl::Now() - start;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<content::Info>> GarbageCollector::BackendBlobs() {
  std::vector<content::Info> blobs;
  RETURN_IF_ERROR(content_->backend().Walk(Context{}, {}, [&](const content::Info& info) {
    blobs.push_back(info);
    return absl::OkStatus();
  }));
  return blobs;
}

absl::Status GarbageCollector::PredictBlobs(const Txn& txn, const std::vector<content::Info>& blobs,
                                            const Sweep& sweep,
                                            std::vector<gc::Removal>* out) const {
  std::set<Node> swept;  // records `sweep` removes (or would remove)
  for (const gc::Removal& r : sweep.stats.removed) {
    if (!r.on_disk) swept.insert(r.node);
  }
  // Digests that surviving ingests expect; ingests are few (transfers in flight).
  std::set<std::string> expected;
  absl::Status decode_error;
  RETURN_IF_ERROR(txn.Scan(Table::kIngests, "", [&](std::string_view key, std::string_view value) {
    std::vector<std::string> parts = SplitKey(key);
    absl::StatusOr<IngestRecord> ingest = DecodeIngest(parts.back(), value);
    if (!ingest.ok()) {
      decode_error = ingest.status();
      return false;
    }
    if (ingest->expected && !swept.contains(Node{ResourceType::kIngest, parts[0], ingest->ref})) {
      expected.insert(ingest->expected->str());
    }
    return true;
  }));
  RETURN_IF_ERROR(decode_error);
  for (const content::Info& blob : blobs) {
    const std::string& digest = blob.digest.str();
    if (expected.contains(digest)) continue;
    bool referenced = false;
    RETURN_IF_ERROR(txn.Scan(
        Table::kBlobRefs, KeyPrefix({digest}), [&](std::string_view key, std::string_view) {
          referenced = !swept.contains(Node{ResourceType::kContent, SplitKey(key).back(), digest});
          return !referenced;
        }));
    if (referenced) continue;
    out->push_back({.node = {ResourceType::kContent, "", digest},
                    .on_disk = true,
                    .reason = std::string(kNoRecord),
                    .bytes = blob.size});
  }
  return absl::OkStatus();
}

}  // namespace berth::metadata
