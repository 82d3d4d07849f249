#include "plugins/transfer/pull_job.h"

#include <fcntl.h>
#include <stdio.h>

#include <algorithm>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "base/status.h"
#include "gc/labels.h"
#include "plugins/diff/tar_apply.h"
#include "plugins/remotes/errors.h"
#include "plugins/transfer/blob_fetcher.h"
#include "plugins/transfer/transfer_metrics.h"

namespace berth::transfer {

namespace {

constexpr std::string_view kSnapshotRefLabel = "containerd.io/snapshot.ref";
constexpr std::string_view kUncompressedLabel = "containerd.io/uncompressed";
constexpr std::string_view kDistributionSourcePrefix = "containerd.io/distribution.source.";

std::string UniquePart() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{}-{:08x}", absl::ToUnixNanos(absl::Now()), static_cast<uint32_t>(rng()));
}

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

// A ByteReader the applier may own that reads a BlobFetcher the pull job keeps.
class BorrowedReader final : public diff::ByteReader {
 public:
  explicit BorrowedReader(diff::ByteReader* inner) : inner_(inner) {}
  absl::StatusOr<size_t> Read(std::span<char> buf) override { return inner_->Read(buf); }

 private:
  diff::ByteReader* inner_;
};

// The directory an extraction snapshot's layer goes into: the overlay upper dir, or the bind-mounted directory.
absl::StatusOr<std::string> UpperDir(const std::vector<mount::Mount>& mounts, const std::string& key) {
  if (mounts.size() == 1) {
    for (const auto& o : mounts[0].options) {
      if (mounts[0].type == "overlay" && o.starts_with("upperdir=")) return o.substr(9);
    }
    if (mounts[0].type == "bind") return mounts[0].source;
  }
  return absl::InternalError(fmt::format("snapshot {}: no writable directory in its mounts", key));
}

// The lowerdir= entries of an overlay mount, topmost first.
std::vector<std::string> LowerDirs(const std::vector<mount::Mount>& mounts) {
  std::vector<std::string> lowers;
  for (const auto& m : mounts) {
    for (const auto& o : m.options) {
      if (!o.starts_with("lowerdir=")) continue;
      for (absl::string_view l : absl::StrSplit(o.substr(9), ':', absl::SkipEmpty())) lowers.emplace_back(l);
    }
  }
  return lowers;
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

// ---- layers -------------------------------------------------------------------------------------------------

absl::Status PullJob::RunLayers() {
  const size_t n = layers_.size();
  committed_ = std::vector<std::promise<absl::Status>>(n);
  for (auto& p : committed_) committed_futures_.push_back(p.get_future().share());
  for (size_t i = 0; i < n; ++i) progress_->Add(layers_[i].digest.str(), "layer", layers_[i].size);

  // Workers take layers bottom-up, so a layer only ever waits for layers already taken: no deadlock.
  std::atomic<size_t> next{0};
  std::mutex mu;
  absl::Status first_error;
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) {
      absl::Status s = failed_ ? absl::AbortedError("an earlier layer failed") : Layer(i);
      committed_[i].set_value(s);
      if (!s.ok()) {
        failed_ = true;
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.ok() || absl::IsAborted(first_error)) first_error = s;
      }
    }
  };
  size_t threads = std::min<size_t>(n, std::max(1, p_.opts_.max_concurrent_downloads));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return first_error;
}

bool PullJob::ParentReady(size_t i) const {
  if (i == 0) return true;
  const auto& f = committed_futures_[i - 1];
  return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready && f.get().ok();
}

absl::Status PullJob::WaitForParent(size_t i) {
  if (i == 0) return absl::OkStatus();
  const auto& f = committed_futures_[i - 1];
  while (f.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    if (ctx_.Cancelled()) return absl::CancelledError("pull cancelled");
  }
  if (!f.get().ok()) return absl::AbortedError("an earlier layer failed");
  return absl::OkStatus();
}

absl::Status PullJob::Layer(size_t i) {
  const oci::Descriptor& desc = layers_[i];
  const size_t slot = progress_->Add(desc.digest.str(), "layer", desc.size);
  bool unpacked = snapshotter_ == nullptr || snapshotter_->Stat(ctx_, chain_[i].str()).ok();

  Extraction ext;
  absl::Status fetched = unpacked ? FetchLayer(i, nullptr) : FetchLayer(i, &ext);
  if (!fetched.ok()) {
    Abort(&ext);
    progress_->SetState(slot, BlobState::kFailed);
    return fetched;
  }
  if (unpacked) {
    progress_->SetState(slot, BlobState::kExists);
    return absl::OkStatus();
  }
  progress_->SetState(slot, BlobState::kUnpacking);
  absl::Status finished = FinishExtraction(i, &ext);
  if (!finished.ok()) {
    Abort(&ext);
    progress_->SetState(slot, BlobState::kFailed);
    return finished;
  }
  progress_->SetState(slot, BlobState::kDone);
  return absl::OkStatus();
}

absl::Status PullJob::FetchLayer(size_t i, Extraction* ext) {
  const oci::Descriptor& desc = layers_[i];
  const size_t slot = progress_->Add(desc.digest.str(), "layer", desc.size);
  const TransferMetrics& m = TransferMetrics::Get();
  auto body = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<content::Writer> w, OpenIngest(desc, "layer"));
    if (!w) return absl::OkStatus();  // stored already
    progress_->SetState(slot, BlobState::kDownloading);
    m.blobs->Inc();
    BlobFetcherOptions options{
        .retry = p_.opts_.retry,
        .request = request_,
        .on_bytes = [&](int64_t n) { m.bytes->Inc(n); progress_->AddBytes(slot, n); },
        .on_retry = [&](const std::string& reason) { m.retries->With({reason})->Inc(); },
    };
    absl::Status s;
    if (ext != nullptr) {
      // Download and unpack in one pass over the bytes: the fetcher feeds the ingest and the unpacker.
      RETURN_IF_ERROR(w->Truncate());
      progress_->SetBytes(slot, 0);
      BlobFetcher fetcher(ctx_, p_.deps_.registry, ref_, desc, w.get(), 0, options);
      RETURN_IF_ERROR(StartExtraction(i, ext));
      if (!ext->mounts.empty() || !ext->detached_dir.empty()) {
        metrics::ScopedTimer timer(m.unpack_duration);
        auto bytes = std::make_unique<BorrowedReader>(&fetcher);
        absl::StatusOr<oci::Descriptor> diff =
            ext->mounts.empty()
                ? p_.deps_.applier->ApplyDetached(ctx_, desc, std::move(bytes), ext->detached_dir, &ext->implied)
                : p_.deps_.applier->ApplyFrom(ctx_, desc, std::move(bytes), ext->mounts);
        if (!diff.ok()) {
          // Wrong bytes from a registry surface here first (a corrupt compressed stream): tell them from a bad
          // layer by the blob's digest. Either way nothing of it stays behind as an ingest.
          absl::Status verified = fetcher.Drain();
          if (verified.ok()) verified = CommitBlob(w, desc);
          if (absl::IsDataLoss(verified)) return verified;
          if (w) AbortIngest(std::move(w), desc);
          return diff.status();
        }
        ext->diff = *diff;
      }
      s = fetcher.Drain();
    } else {
      int64_t offset = w->GetStatus().offset;  // a plain download resumes an ingest a crash left behind
      progress_->SetBytes(slot, offset);
      BlobFetcher fetcher(ctx_, p_.deps_.registry, ref_, desc, w.get(), offset, options);
      s = fetcher.Drain();
    }
    if (!s.ok()) {
      m.failures->With({remotes::ErrorReason(s)})->Inc();
      return s;
    }
    return CommitBlob(w, desc);
  };
  // Concurrent pulls of this blob wait for the one fetching it, then try again: the blob is then stored, and
  // OpenIngest records it in this namespace without a download.
  for (int round = 0;; ++round) {
    auto [status, leader] = p_.fetches_.Do(desc.digest.str(), ctx_, body, absl::CancelledError("pull cancelled"));
    if (leader || round >= 5) return status;
    m.dedup_waits->Inc();
    progress_->SetState(slot, BlobState::kWaitingPeer);
    if (absl::IsCancelled(status) && ctx_.Cancelled()) return status;
  }
}

absl::Status PullJob::StartExtraction(size_t i, Extraction* ext) {
  snapshots::Options labels{.labels = {{std::string(kSnapshotRefLabel), chain_[i].str()}}};
  const std::string parent = i == 0 ? "" : chain_[i - 1].str();
  if (ParentReady(i)) {
    ext->key = fmt::format("extract-{} {}", UniquePart(), chain_[i].str());
    ASSIGN_OR_RETURN(ext->mounts, snapshotter_->Prepare(ctx_, ext->key, parent, labels));
    return absl::OkStatus();
  }
  if (snapshotter_name_ != "overlayfs") return absl::OkStatus();  // unpacked from the store once the parent is
  // overlayfs: a layer's upper dir does not depend on its parent's contents, so unpack it now into a parentless
  // snapshot with overlay whiteouts, and swap the directory into the real snapshot when the parent is committed.
  ext->detached = fmt::format("extract-{} {} detached", UniquePart(), chain_[i].str());
  ASSIGN_OR_RETURN(std::vector<mount::Mount> mounts, snapshotter_->Prepare(ctx_, ext->detached, "", {}));
  ASSIGN_OR_RETURN(ext->detached_dir, UpperDir(mounts, ext->detached));
  return absl::OkStatus();
}

absl::Status PullJob::FinishExtraction(size_t i, Extraction* ext) {
  RETURN_IF_ERROR(WaitForParent(i));
  if (snapshotter_->Stat(ctx_, chain_[i].str()).ok()) {  // another pull committed it meanwhile
    Abort(ext);
    return absl::OkStatus();
  }
  snapshots::Options labels{.labels = {{std::string(kSnapshotRefLabel), chain_[i].str()}}};
  const std::string parent = i == 0 ? "" : chain_[i - 1].str();
  if (ext->key.empty()) {  // not unpacked into its own extraction snapshot yet
    ext->key = fmt::format("extract-{} {}", UniquePart(), chain_[i].str());
    ASSIGN_OR_RETURN(std::vector<mount::Mount> mounts, snapshotter_->Prepare(ctx_, ext->key, parent, labels));
    if (!ext->diff) {
      metrics::ScopedTimer timer(TransferMetrics::Get().unpack_duration);
      ASSIGN_OR_RETURN(ext->diff, p_.deps_.applier->Apply(ctx_, layers_[i], mounts));
    } else {
      ASSIGN_OR_RETURN(std::string upper, UpperDir(mounts, ext->key));
      if (::renameat2(AT_FDCWD, ext->detached_dir.c_str(), AT_FDCWD, upper.c_str(), RENAME_EXCHANGE) != 0) {
        return ErrnoStatus(errno, "exchange unpacked layer into", upper);
      }
      RETURN_IF_ERROR(snapshotter_->Remove(ctx_, ext->detached));  // now holds the empty directory
      ext->detached.clear();
      RETURN_IF_ERROR(diff::InheritImpliedDirs(upper, ext->implied, LowerDirs(mounts)));
    }
  }
  if (ext->diff->digest != diff_ids_[i]) {
    return absl::DataLossError(fmt::format("{}: unpacked layer has diff_id {}, the image config says {}",
                                           What(layers_[i].digest), ext->diff->digest.str(), diff_ids_[i].str()));
  }
  // (containerd's committed snapshots show no labels: the snapshot.ref label is on the extraction key only.)
  absl::Status committed = snapshotter_->Commit(ctx_, chain_[i].str(), ext->key, {});
  if (absl::IsAlreadyExists(committed)) {
    Abort(ext);
  } else if (!committed.ok()) {
    return WithContext(committed, fmt::format("commit snapshot {}", chain_[i].str()));
  }
  ext->key.clear();
  return AddLabels(layers_[i].digest, {{std::string(kUncompressedLabel), diff_ids_[i].str()}});
}

void PullJob::Abort(Extraction* ext) {
  for (std::string* key : {&ext->key, &ext->detached}) {
    if (key->empty() || snapshotter_ == nullptr) continue;
    absl::Status s = snapshotter_->Remove(ctx_, *key);
    if (!s.ok() && !absl::IsNotFound(s)) log::Warn("pull: remove {}: {}", *key, std::string(s.message()));
    key->clear();
  }
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
