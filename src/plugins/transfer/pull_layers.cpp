// The layer half of a pull (see pull_job.h): one job per layer on a few threads, each fetching its blob once
// across pulls and unpacking it as its bytes arrive, commits in chain order.
#include <fcntl.h>
#include <stdio.h>

#include <random>
#include <thread>

#include <fmt/format.h>

#include "absl/strings/str_split.h"
#include "base/log.h"
#include "base/status.h"
#include "plugins/diff/tar_apply.h"
#include "plugins/remotes/errors.h"
#include "plugins/transfer/blob_fetcher.h"
#include "plugins/transfer/pull_job.h"
#include "plugins/transfer/transfer_metrics.h"

namespace berth::transfer {

namespace {

constexpr std::string_view kSnapshotRefLabel = "containerd.io/snapshot.ref";
constexpr std::string_view kUncompressedLabel = "containerd.io/uncompressed";

std::string UniquePart() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{}-{:08x}", absl::ToUnixNanos(absl::Now()), static_cast<uint32_t>(rng()));
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

}  // namespace berth::transfer
