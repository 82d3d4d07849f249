#include "fsck/checker.h"

#include <map>

#include "absl/time/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "df/holders.h"
#include "fmt/format.h"
#include "fsck/blob_refetch.h"
#include "fsck/blob_verifier.h"
#include "fsck/layer_compare.h"
#include "fsck/snapshot_repair.h"
#include "fsck/unpacked_layers.h"
#include "metadata/keys.h"
#include "metadata/records.h"

namespace berth::fsck {

namespace {

using metadata::Table;

// The metadata a run needs, read in one transaction.
struct State {
  df::HolderMap holders;
  std::map<std::string, std::map<std::string, Labels>> blob_records;  // digest → ns → labels
  std::map<std::string, int64_t> blob_sizes;                          // digest → recorded size
  std::set<std::string> registries;                                   // "host:port" keys seen in image names
  std::set<std::string> ingest_backend_refs;
};

absl::StatusOr<State> ReadState(const metadata::Db& db) {
  State st;
  RETURN_IF_ERROR(db.View([&](const metadata::Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(st.holders, df::FindHolders(txn, absl::Now()));
    absl::Status error;
    auto fail = [&](absl::Status s) {
      error = std::move(s);
      return false;
    };
    RETURN_IF_ERROR(txn.Scan(Table::kBlobs, "", [&](std::string_view key, std::string_view value) {
      std::vector<std::string> parts = metadata::SplitKey(key);
      absl::StatusOr<Digest> digest = Digest::Parse(parts[1]);
      if (!digest.ok()) return fail(digest.status());
      absl::StatusOr<content::Info> info = metadata::DecodeBlob(*digest, value);
      if (!info.ok()) return fail(info.status());
      st.blob_records[digest->str()][parts[0]] = info->labels;
      st.blob_sizes[digest->str()] = info->size;
      return true;
    }));
    RETURN_IF_ERROR(error);
    RETURN_IF_ERROR(txn.Scan(Table::kImages, "", [&](std::string_view key, std::string_view value) {
      absl::StatusOr<images::Image> image = metadata::DecodeImage(metadata::SplitKey(key).back(), value);
      if (!image.ok()) return fail(image.status());
      absl::StatusOr<remotes::Reference> ref = remotes::Reference::Parse(image->name);
      if (ref.ok()) st.registries.insert(ref->registry);  // names that are no reference just give no host
      return true;
    }));
    RETURN_IF_ERROR(error);
    RETURN_IF_ERROR(txn.Scan(Table::kIngests, "", [&](std::string_view key, std::string_view value) {
      absl::StatusOr<metadata::IngestRecord> ingest = metadata::DecodeIngest(metadata::SplitKey(key).back(), value);
      if (!ingest.ok()) return fail(ingest.status());
      st.ingest_backend_refs.insert(ingest->backend_ref);
      return true;
    }));
    return error;
  }));
  return st;
}

// One run's work and counters.
class Run {
 public:
  Run(const CheckerDeps& deps, const CheckOptions& options, const Sink& sink, State state)
      : deps_(deps), options_(options), sink_(sink), state_(std::move(state)) {
    state_.registries.insert(deps_.registry_hosts.begin(), deps_.registry_hosts.end());
  }

  absl::StatusOr<Summary> Go() {
    const absl::Time start = absl::Now();
    RETURN_IF_ERROR(Blobs());
    const absl::Time blobs_done = absl::Now();
    RETURN_IF_ERROR(Snapshots());
    const absl::Time snapshots_done = absl::Now();
    RETURN_IF_ERROR(MissingBlobs());
    RETURN_IF_ERROR(Ingests());
    RETURN_IF_ERROR(LeftoverMounts());
    RETURN_IF_ERROR(Orphans());
    summary_.remaining = summary_.problems - summary_.repaired;
    summary_.text = fmt::format(
        "{} blobs and {} snapshots checked, {} problems, {} repaired, {} remaining in {} (blobs {}, snapshots {}, "
        "records and orphans {})",
        summary_.blobs_checked, summary_.snapshots_checked, summary_.problems, summary_.repaired, summary_.remaining,
        absl::FormatDuration(absl::Now() - start), absl::FormatDuration(blobs_done - start),
        absl::FormatDuration(snapshots_done - blobs_done), absl::FormatDuration(absl::Now() - snapshots_done));
    log::Info("fsck{}: {}", options_.repair ? " --repair" : "", summary_.text);
    return summary_;
  }

 private:
  // Returns whether the problem was repaired.
  bool Report(Problem p, const std::function<absl::Status()>& repair) {
    ++summary_.problems;
    if (options_.repair && repair) {
      absl::Status s = repair();
      p.repaired = s.ok();
      if (!s.ok()) p.repair_error = std::string(s.message());
      if (p.repaired) ++summary_.repaired;
    }
    if (sink_.problem) sink_.problem(p);
    return p.repaired;
  }

  std::set<std::string> HoldersOfBlob(const std::string& digest) const {
    std::set<std::string> out;
    auto records = state_.blob_records.find(digest);
    if (records == state_.blob_records.end()) return out;
    for (const auto& [ns, labels] : records->second) {
      auto it = state_.holders.find(gc::Node{gc::ResourceType::kContent, ns, digest});
      if (it != state_.holders.end()) out.insert(it->second.begin(), it->second.end());
    }
    return out;
  }

  std::vector<remotes::Reference> SourcesOf(const std::string& digest) const {
    std::vector<remotes::Reference> out;
    auto records = state_.blob_records.find(digest);
    if (records == state_.blob_records.end()) return out;
    for (const auto& [ns, labels] : records->second) {
      for (remotes::Reference& r : BlobSources(labels, state_.registries)) out.push_back(std::move(r));
    }
    return out;
  }

  std::string RefetchPlan(const std::vector<remotes::Reference>& sources) const {
    if (sources.empty() || deps_.registry == nullptr) return "none: no distribution source recorded; pull its image again";
    std::string plan = "refetch it from";
    for (const auto& s : sources) plan += fmt::format(" {}/{}", s.registry, s.repository);
    return plan;
  }

  std::function<absl::Status()> Refetch(const Digest& digest, int64_t size,
                                        const std::vector<remotes::Reference>& sources) const {
    if (deps_.registry == nullptr) return nullptr;
    return [this, digest, size, sources] {
      return RefetchBlob(*deps_.registry, *deps_.blobs, digest, size, sources, {.plain_http = options_.plain_http});
    };
  }

  absl::Status Blobs() {
    std::vector<content::Info> blobs;
    RETURN_IF_ERROR(deps_.blobs->Walk(Context{}, {}, [&](const content::Info& info) {
      blobs.push_back(info);
      return absl::OkStatus();
    }));
    const int64_t total = static_cast<int64_t>(blobs.size());
    int64_t last_reported = 0;
    ASSIGN_OR_RETURN(std::vector<BlobFault> faults,
                     VerifyBlobs(*deps_.blobs, blobs, options_.threads, [&](int64_t done) {
                       // Progress at most every 64 blobs and at the end: enough for a bar, cheap on the wire.
                       if (sink_.progress && (done - last_reported >= 64 || done == total)) {
                         last_reported = done;
                         sink_.progress({.phase = "blobs", .done = done, .total = total});
                       }
                     }));
    summary_.blobs_checked = total;
    for (const BlobFault& f : faults) {
      const std::string digest = f.info.digest.str();
      damaged_blobs_.insert(digest);  // until a repair says otherwise
      Problem p{.object = "blob " + digest,
                .path = deps_.blobs->BlobPath(f.info.digest),
                .what = !f.error.empty()
                            ? fmt::format("cannot be read: {}", f.error)
                            : fmt::format("content does not match its digest: {} bytes hashing to {} (want {} bytes)",
                                          f.actual_size, f.actual_digest, f.info.size),
                .holders = HoldersOfBlob(digest)};
      if (!state_.blob_records.contains(digest)) {
        p.repair = "remove it: no namespace records it";
        Report(std::move(p), [this, d = f.info.digest] { return deps_.blobs->Delete(Context{}, d); });
        continue;
      }
      std::vector<remotes::Reference> sources = SourcesOf(digest);
      p.repair = RefetchPlan(sources);
      if (Report(std::move(p), sources.empty() ? nullptr : Refetch(f.info.digest, f.info.size, sources))) {
        damaged_blobs_.erase(digest);
      }
    }
    return absl::OkStatus();
  }

  // Every unpacked layer against its blob (after the blobs: a damaged blob is refetched before it is trusted).
  absl::Status Snapshots() {
    if (options_.repair) RETURN_IF_ERROR(RemoveRepairLeftovers(*deps_.db, deps_.snapshotters));
    ASSIGN_OR_RETURN(std::vector<UnpackedLayer> layers,
                     FindUnpackedLayers(*deps_.db, *deps_.content, deps_.snapshotters));
    const int64_t total = static_cast<int64_t>(layers.size());
    for (const UnpackedLayer& l : layers) {
      // A layer whose blob is damaged cannot be compared; the blob's problem says what to do.
      if (damaged_blobs_.contains(l.layer.digest.str())) continue;
      Context ctx;
      ctx.ns = l.ns;
      const std::string object = fmt::format("snapshot {}/{}", l.store->snapshotter(), l.key);
      absl::StatusOr<LayerLocation> where = LocateLayer(*deps_.db, l);
      if (!where.ok()) continue;  // removed meanwhile
      absl::StatusOr<std::vector<Difference>> diffs =
          CompareLayer(*deps_.content, ctx, l.layer, where->dir, {.layer_only = where->layer_only});
      ++summary_.snapshots_checked;
      if (sink_.progress) sink_.progress({.phase = "snapshots", .done = summary_.snapshots_checked, .total = total});
      if (diffs.ok() && diffs->empty()) continue;
      std::set<std::string> holders = l.images;
      auto held = state_.holders.find(
          gc::Node{gc::ResourceType::kSnapshot, l.ns, gc::SnapshotNodeKey(l.store->snapshotter(), l.key)});
      if (held != state_.holders.end()) holders.insert(held->second.begin(), held->second.end());
      if (!diffs.ok()) {
        Report({.object = object, .ns = l.ns, .path = where->dir,
                .what = fmt::format("cannot be compared with layer {}: {}", l.layer.digest.str(),
                                    std::string(diffs.status().message())),
                .repair = "none (repair the layer blob first)", .holders = std::move(holders)},
               nullptr);
        continue;
      }
      std::string what = fmt::format("{} differences from layer {}:", diffs->size(), l.layer.digest.str());
      for (size_t i = 0; i < diffs->size() && i < 10; ++i) {
        what += fmt::format(" {} {};", (*diffs)[i].path, (*diffs)[i].what);
      }
      if (diffs->size() > 10) what += " ...";
      const bool mounted = MountedFrom(where->dir);
      Problem p{.object = object, .ns = l.ns, .path = where->dir, .what = std::move(what),
                .repair = fmt::format("re-unpack layer {} beside it and swap it in{}", l.layer.digest.str(),
                                      mounted ? " (it is mounted by a running container: only with --force)" : ""),
                .holders = std::move(holders)};
      std::function<absl::Status()> repair;
      if (deps_.applier != nullptr) {
        repair = [this, &l, mounted]() -> absl::Status {
          if (mounted && !options_.force) {
            return absl::FailedPreconditionError("in use by a running container; rerun with --repair --force");
          }
          return ReunpackLayer(*deps_.db, l, *deps_.applier);
        };
      }
      Report(std::move(p), repair);
    }
    return absl::OkStatus();
  }

  // Records without data: a content record whose blob file is gone.
  absl::Status MissingBlobs() {
    for (const auto& [digest_str, records] : state_.blob_records) {
      ASSIGN_OR_RETURN(Digest digest, Digest::Parse(digest_str));
      absl::StatusOr<content::Info> info = deps_.blobs->GetInfo(Context{}, digest);
      if (info.ok()) continue;
      if (!absl::IsNotFound(info.status())) return info.status();
      std::string namespaces;
      for (const auto& [ns, labels] : records) namespaces += (namespaces.empty() ? "" : ",") + ns;
      std::vector<remotes::Reference> sources = SourcesOf(digest_str);
      Problem p{.object = "content record " + digest_str,
                .ns = namespaces,
                .path = deps_.blobs->BlobPath(digest),
                .what = "recorded but its blob is missing on disk",
                .holders = HoldersOfBlob(digest_str)};
      if (!sources.empty() && deps_.registry != nullptr) {
        p.repair = RefetchPlan(sources);
        Report(std::move(p), Refetch(digest, state_.blob_sizes[digest_str], sources));
      } else {
        p.repair = "drop the records (no distribution source recorded)";
        Report(std::move(p), [this, digest, records = records] {
          for (const auto& [ns, labels] : records) {
            Context ctx;
            ctx.ns = ns;
            absl::Status s = deps_.content->Delete(ctx, digest);
            if (!s.ok() && !absl::IsNotFound(s)) return s;
          }
          return absl::OkStatus();
        });
      }
    }
    return absl::OkStatus();
  }

  // Data without records: backend ingests that no ingest record names (nobody can resume or see them).
  absl::Status Ingests() {
    ASSIGN_OR_RETURN(std::vector<content::Status> statuses, deps_.blobs->ListStatuses(Context{}, {}));
    for (const content::Status& s : statuses) {
      if (state_.ingest_backend_refs.contains(s.ref) || s.ref.starts_with("fsck-refetch-")) continue;
      Report({.object = "ingest " + s.ref,
              .path = deps_.blobs->IngestDir(s.ref),
              .what = fmt::format("{} bytes on disk with no ingest record", s.offset),
              .repair = "abort it"},
             [this, ref = s.ref] {
               absl::Status st = deps_.blobs->Abort(Context{}, ref);
               return absl::IsNotFound(st) ? absl::OkStatus() : st;
             });
    }
    return absl::OkStatus();
  }

  // Mounts whose task or call is gone (doctor/leftover_mounts.h). The repair says how it unmounted (lazily when
  // busy), so it is reported here rather than through Report's plain Status.
  absl::Status LeftoverMounts() {
    if (!deps_.mounts) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::vector<doctor::LeftoverMount> leftovers, doctor::FindLeftoverMounts(*deps_.mounts));
    for (const doctor::LeftoverMount& m : leftovers) {
      ++summary_.problems;
      Problem p{.object = "mount " + m.mount_point,
                .path = m.mount_point,
                .what = fmt::format("{} from {} still mounted, owned by {}: {}", m.fs_type, m.source, m.owner, m.why),
                .repair = "unmount it (lazily if busy)"};
      if (options_.repair) {
        absl::StatusOr<std::string> done = doctor::UnmountLeftover(m.mount_point);
        p.repaired = done.ok();
        if (done.ok()) {
          p.repair = *done;
          ++summary_.repaired;
        } else {
          p.repair_error = std::string(done.status().message());
        }
      }
      if (sink_.problem) sink_.problem(p);
    }
    return absl::OkStatus();
  }

  // Data without records in the snapshotters: what df calls orphans and gc's disk sweep removes.
  absl::Status Orphans() {
    if (deps_.analyzer == nullptr) return absl::OkStatus();
    ASSIGN_OR_RETURN(df::Report report, deps_.analyzer->Analyze());
    bool cleaned = false;
    absl::Status cleanup;
    for (const df::Entry& e : report.entries) {
      if (e.category != df::kOrphans || !e.reclaimable) continue;
      Report({.object = "orphan " + e.key,
              .path = e.path,
              .what = fmt::format("{} bytes that no snapshot owns", e.bytes),
              .repair = "remove it (the snapshotters' cleanup)"},
             [&] {
               if (!cleaned) {
                 cleaned = true;
                 for (metadata::SnapshotStore* store : deps_.snapshotters) {
                   cleanup.Update(store->Cleanup(Context{}));
                 }
               }
               return cleanup;
             });
    }
    return absl::OkStatus();
  }

  const CheckerDeps& deps_;
  const CheckOptions& options_;
  const Sink& sink_;
  State state_;
  Summary summary_;
  std::set<std::string> damaged_blobs_;  // digests found damaged and not repaired
};

}  // namespace

absl::StatusOr<Summary> Checker::Run(const CheckOptions& options, const Sink& sink) const {
  ASSIGN_OR_RETURN(State state, ReadState(*deps_.db));
  return fsck::Run(deps_, options, sink, std::move(state)).Go();
}

}  // namespace berth::fsck
