// One pull in progress (see puller.h for what a pull guarantees): the documents, then one job per layer on a
// few threads, each fetching its blob (once across pulls) and unpacking it as it arrives.
#pragma once

#include <atomic>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/images/images.h"
#include "oci/image.h"
#include "plugins/transfer/puller.h"

namespace berth::transfer {

class PullJob {
 public:
  PullJob(Puller* puller, const Context& ctx, const PullRequest& req, PullProgress* progress);
  absl::StatusOr<images::Image> Run();

 private:
  // Where a layer's bytes are unpacked while they download: its real extraction snapshot (when its parent is
  // committed already), or a parentless "detached" one (overlayfs only) swapped in once the parent is.
  struct Extraction {
    std::string key;       // the extraction snapshot that will be committed as the chain id
    std::string detached;  // the parentless snapshot unpacked into, "" when unpacked into `key` directly
    std::string detached_dir;           // its directory
    std::vector<std::string> implied;   // directories the layer implies, to take their lowers' attributes
    std::vector<mount::Mount> mounts;   // of `key`, when unpacked into it directly
    std::optional<oci::Descriptor> diff;  // set once the layer is unpacked
  };

  absl::Status Prepare();
  absl::StatusOr<oci::Descriptor> ChooseManifest(const oci::Descriptor& top, std::vector<Digest>* fetched);
  absl::StatusOr<std::string> FetchDocument(const oci::Descriptor& desc, const char* kind);
  absl::StatusOr<std::unique_ptr<content::Writer>> OpenIngest(const oci::Descriptor& desc, const char* kind);
  // Commits the ingest; wrong bytes abort it (DataLoss naming the digest and registry, `writer` reset).
  absl::Status CommitBlob(std::unique_ptr<content::Writer>& writer, const oci::Descriptor& desc);
  void AbortIngest(std::unique_ptr<content::Writer> writer, const oci::Descriptor& desc);
  absl::StatusOr<std::string> ReadStored(const Digest& digest);

  absl::Status RunLayers();
  absl::Status Layer(size_t i);
  absl::Status FetchLayer(size_t i, Extraction* ext);
  absl::Status StartExtraction(size_t i, Extraction* ext);
  absl::Status FinishExtraction(size_t i, Extraction* ext);
  absl::Status WaitForParent(size_t i);
  bool ParentReady(size_t i) const;
  void Abort(Extraction* ext);

  absl::Status LabelBlobs(const std::vector<Digest>& documents, const oci::Descriptor& manifest,
                          const oci::Manifest& m);
  absl::Status AddLabels(const Digest& digest, Labels labels);
  std::string What(const Digest& digest) const;

  Puller& p_;
  Context ctx_;  // the caller's, with the pull lease
  PullRequest req_;
  PullProgress* progress_;
  remotes::Reference ref_;
  remotes::RequestOptions request_;
  std::string snapshotter_name_;
  snapshots::Snapshotter* snapshotter_ = nullptr;

  std::vector<oci::Descriptor> layers_;
  std::vector<Digest> diff_ids_;
  std::vector<Digest> chain_;
  std::vector<std::promise<absl::Status>> committed_;  // layer i's snapshot is committed (or failed)
  std::vector<std::shared_future<absl::Status>> committed_futures_;
  std::atomic<bool> failed_{false};
};

}  // namespace berth::transfer
