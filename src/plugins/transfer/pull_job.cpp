#include "plugins/transfer/pull_job.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "gc/labels.h"
#include "plugins/remotes/errors.h"
#include "plugins/transfer/transfer_metrics.h"

namespace berth::transfer {

namespace {

constexpr std::string_view kDistributionSourcePrefix = "containerd.io/distribution.source.";

// containerd's distribution source label: the registry host without its port, and the repositories this blob
// came from, sorted, comma-separated.
std::string MergeSources(const std::string& existing, const std::string& repo) {
  std::set<std::string> repos;
  for (absl::string_view r : absl::StrSplit(existing, ',', absl::SkipEmpty())) repos.emplace(r);
  repos.insert(repo);
  std::string out;
  for (const auto& r : repos) out += (out.empty() ? "" : ",") + r;
  return out;
}

std::string HostWithoutPort(const std::string& registry) {
  if (registry.starts_with("[")) return registry.substr(0, registry.find(']') + 1);
  return registry.substr(0, registry.find(':'));
}

}  // namespace

PullJob::PullJob(Puller* puller, const Context& ctx, const PullRequest& req, PullProgress* progress)
    : p_(*puller), ctx_(ctx), req_(req), progress_(progress) {}

std::string PullJob::What(const Digest& digest) const {
  return fmt::format("{} (registry {}) blob {}", ref_.String(), ref_.registry, digest.str());
}

absl::StatusOr<images::Image> PullJob::Run() {
  RETURN_IF_ERROR(Prepare());
  // Everything below is written under a lease that expires on its own if berthd dies mid-pull (and that
  // berthd deletes when it starts again), so nothing half-pulled is kept.
  leases::Lease lease;
  lease.labels[std::string(gc::kLabelExpire)] =
      absl::FormatTime(absl::RFC3339_sec, absl::Now() + absl::Hours(24), absl::UTCTimeZone());
  lease.labels[std::string(kPullLeaseLabel)] = ref_.String();
  ASSIGN_OR_RETURN(lease, p_.deps_.leases->Create(ctx_, lease));
  ctx_.lease = lease.id;
  auto release = [&] {
    Context plain = ctx_;
    plain.lease.clear();
    absl::Status s = p_.deps_.leases->Delete(plain, lease.id);
    if (!s.ok()) log::Warn("pull {}: deleting lease {}: {}", ref_.String(), lease.id, std::string(s.message()));
  };

  auto pulled = [&]() -> absl::StatusOr<images::Image> {
    ASSIGN_OR_RETURN(oci::Descriptor top,
                     remotes::Retry(p_.opts_.retry, ctx_, [&](int) { return p_.deps_.registry->Resolve(ctx_, ref_, request_); },
                                    [&](int, const absl::Status& s, std::chrono::milliseconds) {
                                      TransferMetrics::Get().retries->With({remotes::ErrorReason(s)})->Inc();
                                    }));
    std::vector<Digest> documents;
    ASSIGN_OR_RETURN(oci::Descriptor manifest_desc, ChooseManifest(top, &documents));
    ASSIGN_OR_RETURN(std::string manifest_json, FetchDocument(manifest_desc, "manifest"));
    documents.push_back(manifest_desc.digest);
    ASSIGN_OR_RETURN(oci::Manifest manifest, oci::ParseManifest(manifest_json));
    ASSIGN_OR_RETURN(std::string config_json, FetchDocument(manifest.config, "config"));
    documents.push_back(manifest.config.digest);
    ASSIGN_OR_RETURN(oci::ImageConfig config, oci::ParseImageConfig(config_json));
    if (!req_.platform.empty()) {
      ASSIGN_OR_RETURN(oci::Platform want, oci::Platform::Parse(req_.platform));
      if (!want.Matches(config.platform)) {
        return absl::NotFoundError(fmt::format("{}: image is for {}, not {}", ref_.String(),
                                               config.platform.str(), want.str()));
      }
    }
    if (config.diff_ids.size() != manifest.layers.size()) {
      return absl::InvalidArgumentError(fmt::format("{}: manifest has {} layers but config {} diff_ids",
                                                    ref_.String(), manifest.layers.size(), config.diff_ids.size()));
    }
    layers_ = manifest.layers;
    diff_ids_ = config.diff_ids;
    chain_ = oci::ChainIds(diff_ids_);
    RETURN_IF_ERROR(RunLayers());
    RETURN_IF_ERROR(LabelBlobs(documents, manifest_desc, manifest));

    images::Image image{.name = ref_.String(), .target = top};
    absl::StatusOr<images::Image> created = p_.deps_.images->Create(ctx_, image);
    if (absl::IsAlreadyExists(created.status())) return p_.deps_.images->Update(ctx_, image, {"target"});
    return created;
  }();
  release();
  return pulled;
}

absl::Status PullJob::Prepare() {
  ASSIGN_OR_RETURN(ref_, remotes::Reference::Parse(req_.ref));
  request_.plain_http = req_.plain_http;
  snapshotter_name_ = req_.snapshotter.empty() ? p_.opts_.default_snapshotter : req_.snapshotter;
  if (req_.unpack) {
    auto it = p_.deps_.snapshotters.find(snapshotter_name_);
    if (it == p_.deps_.snapshotters.end()) {
      return absl::InvalidArgumentError(fmt::format("snapshotter {:?} is not available", snapshotter_name_));
    }
    snapshotter_ = it->second;
  }
  return absl::OkStatus();
}

absl::StatusOr<oci::Descriptor> PullJob::ChooseManifest(const oci::Descriptor& top, std::vector<Digest>* fetched) {
  oci::Platform want = oci::Platform::Host();
  if (!req_.platform.empty()) {
    ASSIGN_OR_RETURN(want, oci::Platform::Parse(req_.platform));
  }
  oci::Descriptor desc = top;
  for (int depth = 0; oci::IsIndex(desc.media_type); ++depth) {
    if (depth >= oci::kMaxIndexDepth) {
      return absl::InvalidArgumentError(fmt::format("{}: image indexes nested deeper than {}", ref_.String(),
                                                    oci::kMaxIndexDepth));
    }
    ASSIGN_OR_RETURN(std::string json, FetchDocument(desc, "index"));
    fetched->push_back(desc.digest);
    ASSIGN_OR_RETURN(oci::Index index, oci::ParseIndex(json));
    absl::StatusOr<oci::IndexEntry> entry = oci::SelectManifest(index, want);
    if (!entry.ok()) return WithContext(entry.status(), ref_.String());
    // The index labels its chosen child, as containerd's handlers do (gc.ref.content.m.0).
    RETURN_IF_ERROR(AddLabels(desc.digest, {{"containerd.io/gc.ref.content.m.0", entry->descriptor.digest.str()}}));
    desc = entry->descriptor;
  }
  if (!oci::IsManifest(desc.media_type)) {
    return absl::UnimplementedError(fmt::format("{}: media type {:?} is not an image manifest or index",
                                                ref_.String(), desc.media_type));
  }
  return desc;
}

absl::StatusOr<std::unique_ptr<content::Writer>> PullJob::OpenIngest(const oci::Descriptor& desc, const char* kind) {
  // containerd's ingest refs ("layer-sha256:…"), so a ctr pull of the same blob meets this one's lock.
  const std::string ref = fmt::format("{}-{}", kind, desc.digest.str());
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<std::unique_ptr<content::Writer>> w =
        p_.deps_.content->OpenWriter(ctx_, {.ref = ref, .total = desc.size, .expected = desc.digest});
    if (absl::IsAlreadyExists(w.status())) return nullptr;
    if (absl::IsUnavailable(w.status()) && attempt < 300) {  // another client writes this ref: wait for it
      RETURN_IF_ERROR(remotes::SleepFor(ctx_, std::chrono::milliseconds(100)));
      continue;
    }
    if (!w.ok()) return WithContext(w.status(), What(desc.digest));
    if ((*w)->GetStatus().offset == desc.size) {
      // All bytes are there already (another namespace's blob, or an ingest written to its end before a crash).
      absl::Status committed = CommitBlob(*w, desc);
      if (committed.ok() || absl::IsAlreadyExists(committed)) return nullptr;
      if (absl::IsDataLoss(committed) && attempt < 3) continue;  // the bad bytes went with their ingest: afresh
      if (!committed.ok()) return committed;
    }
    return w;
  }
}

void PullJob::AbortIngest(std::unique_ptr<content::Writer> writer, const oci::Descriptor& desc) {
  const std::string ref = writer->GetStatus().ref;
  writer.reset();  // a live writer holds the ingest's lock
  absl::Status aborted = p_.deps_.content->Abort(ctx_, ref);
  if (!aborted.ok() && !absl::IsNotFound(aborted)) {
    log::Warn("{}: abort ingest {}: {}", What(desc.digest), ref, std::string(aborted.message()));
  }
}

absl::Status PullJob::CommitBlob(std::unique_ptr<content::Writer>& writer, const oci::Descriptor& desc) {
  absl::Status s = writer->Commit({.size = desc.size, .expected = desc.digest});
  if (s.ok() || absl::IsAlreadyExists(s)) return absl::OkStatus();
  if (absl::IsFailedPrecondition(s)) {
    // Wrong bytes: nothing corrupt may stay, not even as an ingest to resume.
    AbortIngest(std::move(writer), desc);
    TransferMetrics::Get().failures->With({remotes::kReasonDigest})->Inc();
    return absl::DataLossError(fmt::format("{}: the registry sent content that does not match its digest ({})",
                                           What(desc.digest), std::string(s.message())));
  }
  return WithContext(s, What(desc.digest));
}

absl::StatusOr<std::string> PullJob::ReadStored(const Digest& digest) {
  ASSIGN_OR_RETURN(std::unique_ptr<content::Reader> reader, p_.deps_.content->OpenReader(ctx_, digest));
  if (reader->Size() > oci::kMaxDocumentSize) {
    return absl::InvalidArgumentError(fmt::format("{}: {} bytes is over the document limit", digest.str(), reader->Size()));
  }
  std::string out(static_cast<size_t>(reader->Size()), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ASSIGN_OR_RETURN(size_t n, reader->ReadAt(static_cast<int64_t>(done), std::span<char>(out.data() + done, out.size() - done)));
    if (n == 0) return absl::DataLossError(fmt::format("{}: shorter than its size", digest.str()));
    done += n;
  }
  return out;
}

absl::StatusOr<std::string> PullJob::FetchDocument(const oci::Descriptor& desc, const char* kind) {
  if (desc.size > oci::kMaxDocumentSize) {
    return absl::InvalidArgumentError(fmt::format("{}: {} of {} bytes is over the {} byte limit", What(desc.digest),
                                                  kind, desc.size, oci::kMaxDocumentSize));
  }
  size_t slot = progress_->Add(desc.digest.str(), kind, desc.size);
  const bool is_config = std::string_view(kind) == "config";
  auto fetch = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<content::Writer> w, OpenIngest(desc, kind));
    if (!w) return absl::OkStatus();
    progress_->SetState(slot, BlobState::kDownloading);
    ASSIGN_OR_RETURN(std::string body,
                     remotes::Retry(p_.opts_.retry, ctx_, [&](int) {
                       return is_config ? p_.deps_.registry->FetchBlob(ctx_, ref_, desc, request_)
                                        : p_.deps_.registry->FetchManifest(ctx_, ref_, desc, request_);
                     }, [&](int, const absl::Status& s, std::chrono::milliseconds) {
                       TransferMetrics::Get().retries->With({remotes::ErrorReason(s)})->Inc();
                     }));
    TransferMetrics::Get().bytes->Inc(body.size());
    TransferMetrics::Get().blobs->Inc();
    RETURN_IF_ERROR(w->Write(body));
    return CommitBlob(w, desc);
  };
  // Once across concurrent pulls, as layers (see FetchLayer).
  for (int round = 0;; ++round) {
    auto [status, leader] = p_.fetches_.Do(desc.digest.str(), ctx_, fetch, absl::CancelledError("pull cancelled"));
    if (leader || round >= 5) {
      RETURN_IF_ERROR(status);
      break;
    }
    TransferMetrics::Get().dedup_waits->Inc();
  }
  progress_->SetState(slot, BlobState::kDone);
  return ReadStored(desc.digest);
}

absl::Status PullJob::AddLabels(const Digest& digest, Labels labels) {
  std::vector<std::string> paths;
  for (const auto& [k, v] : labels) paths.push_back("labels." + k);
  content::Info info{.digest = digest, .labels = std::move(labels)};
  return p_.deps_.content->Update(ctx_, info, paths).status();
}

absl::Status PullJob::LabelBlobs(const std::vector<Digest>& documents, const oci::Descriptor& manifest_desc,
                                 const oci::Manifest& m) {
  Labels manifest_labels{{"containerd.io/gc.ref.content.config", m.config.digest.str()}};
  for (size_t i = 0; i < m.layers.size(); ++i) {
    manifest_labels[fmt::format("containerd.io/gc.ref.content.l.{}", i)] = m.layers[i].digest.str();
  }
  RETURN_IF_ERROR(AddLabels(manifest_desc.digest, manifest_labels));
  if (snapshotter_ != nullptr && !chain_.empty()) {
    RETURN_IF_ERROR(AddLabels(m.config.digest, {{fmt::format("containerd.io/gc.ref.snapshot.{}", snapshotter_name_),
                                                 chain_.back().str()}}));
  }
  // Where every blob came from (containerd.io/distribution.source.<host> = repositories).
  const std::string source_key = std::string(kDistributionSourcePrefix) + HostWithoutPort(ref_.registry);
  std::vector<Digest> all = documents;
  for (const auto& l : m.layers) all.push_back(l.digest);
  for (const Digest& d : all) {
    ASSIGN_OR_RETURN(content::Info info, p_.deps_.content->GetInfo(ctx_, d));
    auto it = info.labels.find(source_key);
    RETURN_IF_ERROR(AddLabels(d, {{source_key, MergeSources(it == info.labels.end() ? "" : it->second, ref_.repository)}}));
  }
  return absl::OkStatus();
}

absl::StatusOr<images::Image> Puller::Pull(const Context& ctx, const PullRequest& req, PullProgress* progress) {
  metrics::ScopedTimer timer(TransferMetrics::Get().pull_duration);
  auto start = std::chrono::steady_clock::now();
  PullJob job(this, ctx, req, progress);
  absl::StatusOr<images::Image> image = job.Run();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  int64_t bytes = 0;
  for (const auto& b : progress->Snapshot()) bytes += b.total;
  if (image.ok()) {
    log::Info("pull {} in namespace {}: {} ({} bytes in {} blobs) in {} ms", req.ref, ctx.ns,
              image->target.digest.str(), bytes, progress->Snapshot().size(), ms);
  } else {
    log::Warn("pull {} in namespace {} failed after {} ms: {}", req.ref, ctx.ns, ms, image.status().ToString());
  }
  return image;
}

}  // namespace berth::transfer
