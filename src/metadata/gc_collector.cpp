#include "metadata/gc_collector.h"

#include <set>

#include "absl/time/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "fmt/format.h"
#include "gc/mark.h"
#include "metadata/keys.h"
#include "metadata/records.h"

namespace berth::metadata {

namespace {

using gc::Node;
using gc::ResourceType;

constexpr std::string_view kNoRecord = "no namespace records it and no ingest expects it";

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
      scheduler_(
          [this] {
            absl::Status s = Collect(false).status();
            // The background run is the boundary: nobody else will see this error.
            if (!s.ok()) log::Warn("gc: collection failed: {}", std::string(s.message()));
          },
          options.schedule) {}

GarbageCollector::~GarbageCollector() = default;

absl::StatusOr<gc::Stats> GarbageCollector::Run(bool dry_run) {
  // A dry run only reads, so it need not wait for a collection in progress.
  if (dry_run) return Collect(true);
  absl::StatusOr<gc::Stats> stats = absl::UnknownError("gc did not run");
  scheduler_.RunExclusive([&] { stats = Collect(false); });
  return stats;
}

absl::StatusOr<gc::Stats> GarbageCollector::Collect(bool dry_run) {
  ASSIGN_OR_RETURN(Sweep sweep, SweepMetadata(dry_run));
  if (!dry_run) RETURN_IF_ERROR(CleanDisk(sweep));
  gc::Stats& stats = sweep.stats;
  for (const gc::Removal& r : stats.removed) {
    log::Debug("gc: {} {}{}: {}", dry_run ? "would remove" : "removed", r.on_disk ? "on disk " : "",
               gc::ToString(r.node), r.reason);
  }
  if (!stats.Empty() && !dry_run) {
    log::Info("gc: {}", stats.Summary());
  } else {
    log::Debug("gc: {}", stats.Summary());
  }
  return std::move(stats);
}

absl::StatusOr<GarbageCollector::Sweep> GarbageCollector::SweepMetadata(bool dry_run) {
  absl::Time start = absl::Now();
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
      record(unmarked);
      return PredictBlobs(txn, blobs, sweep, &sweep.stats.removed);
    }));
  } else {
    RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
      sweep = Sweep{};
      ASSIGN_OR_RETURN(std::vector<Candidate> unmarked, Unmarked(txn, absl::Now(), extra_roots_));
      // Removed after the scan, never while its cursor is open.
      for (const Candidate& c : unmarked) RETURN_IF_ERROR(RemoveRecord(txn, c.node));
      record(unmarked);
      return absl::OkStatus();
    }));
  }
  sweep.stats.metadata_duration = absl::Now() - start;
  return sweep;
}

absl::Status GarbageCollector::CleanDisk(Sweep& sweep) {
  absl::Time start = absl::Now();
  for (const std::string& ref : sweep.backend_ingests) {
    absl::Status s = content_->backend().Abort(Context{}, ref);
    // Unavailable: a writer still holds it; it cannot commit without its record and is retried next
    // time.
    if (absl::IsNotFound(s) || absl::IsUnavailable(s)) continue;
    RETURN_IF_ERROR(WithContext(s, fmt::format("gc: abort backend ingest {}", ref)));
    sweep.stats.removed.push_back({.node = {ResourceType::kIngest, "", ref},
                                   .on_disk = true,
                                   .reason = "its ingest record was swept"});
  }

  ASSIGN_OR_RETURN(std::vector<content::Info> blobs, BackendBlobs());
  std::vector<gc::Removal> candidates;
  RETURN_IF_ERROR(
      db_->View([&](const Txn& txn) { return PredictBlobs(txn, blobs, Sweep{}, &candidates); }));
  for (gc::Removal& blob : candidates) {
    ASSIGN_OR_RETURN(Digest digest, Digest::Parse(blob.node.key));
    // Checked again under the digest's lock: a commit may have recorded it since the read above.
    ASSIGN_OR_RETURN(bool deleted, content_->ReleaseBlob(digest));
    if (deleted) sweep.stats.removed.push_back(std::move(blob));
  }

  for (SnapshotStore* store : snapshotters_) {
    RETURN_IF_ERROR(WithContext(store->Cleanup(Context{}),
                                fmt::format("gc: clean up snapshotter {}", store->snapshotter())));
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
