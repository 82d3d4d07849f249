// Server-side pull: resolve a reference against its registry, choose the platform's manifest, fetch blobs in
// parallel and unpack layers as their bytes arrive, then name the image.
//
//   transfer::Puller puller({.content = ..., .images = ..., ...}, {.max_concurrent_downloads = 3});
//   transfer::PullProgress progress;   // polled by whoever shows progress
//   ASSIGN_OR_RETURN(images::Image image, puller.Pull(ctx, {.ref = "127.0.0.1:5000/app:v1"}, &progress));
//
// What it guarantees:
// - one download per blob across concurrent pulls in any namespace (single flight keyed by digest); later pulls
//   wait for the first, then record the blob in their own namespace;
// - transient registry failures retry with backoff and full jitter and resume with Range (BlobFetcher);
// - a blob becomes visible only after its digest is verified, a snapshot only after its layer's diff_id is;
// - overlayfs layers unpack in parallel, each into its own snapshot, and commit in chain order;
// - everything is written under a pull lease (deleted at the end, and at berthd's start after a crash), so
//   nothing half-pulled outlives the pull: garbage collection takes it;
// - the content and snapshot labels are containerd's (gc.ref.content.*, gc.ref.snapshot.<snapshotter>,
//   containerd.io/uncompressed, containerd.io/distribution.source.<host>, containerd.io/snapshot.ref), so ctr
//   and containerd's garbage collector read a berth-pulled image the same way.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "base/context.h"
#include "core/content/content.h"
#include "core/images/images.h"
#include "core/leases/leases.h"
#include "core/namespaces/namespaces.h"
#include "core/snapshots/snapshotter.h"
#include "plugins/diff/fs_applier.h"
#include "plugins/remotes/registry.h"
#include "plugins/remotes/retry.h"
#include "plugins/transfer/progress.h"
#include "plugins/transfer/single_flight.h"

namespace berth::transfer {

// The label on pull leases; berthd deletes such leases when it starts (no pull survives a restart).
inline constexpr std::string_view kPullLeaseLabel = "berth.io/pull";

struct PullRequest {
  std::string ref;          // "127.0.0.1:5000/app:v1", "busybox", "docker.io/library/busybox@sha256:…"
  std::string platform;     // "linux/amd64"; empty: this host's
  bool plain_http = false;  // http:// for this registry (ctr --plain-http)
  std::string snapshotter;  // empty: PullerOptions::default_snapshotter
  bool unpack = true;
};

struct PullerOptions {
  int max_concurrent_downloads = 3;
  remotes::RetryPolicy retry;
  std::string default_snapshotter = "overlayfs";
};

struct PullerDeps {
  content::Store* content;
  images::Store* images;
  leases::Manager* leases;
  std::map<std::string, snapshots::Snapshotter*> snapshotters;
  diff::FsApplier* applier;
  remotes::Registry* registry;
};

class Puller {
 public:
  Puller(PullerDeps deps, PullerOptions opts) : deps_(std::move(deps)), opts_(std::move(opts)) {}

  // Pulls `req.ref` into ctx's namespace and creates (or updates) the image named by the normalised reference.
  // Errors name the reference, the digest and the registry.
  absl::StatusOr<images::Image> Pull(const Context& ctx, const PullRequest& req, PullProgress* progress);

 private:
  friend class PullJob;
  PullerDeps deps_;
  PullerOptions opts_;
  SingleFlight<absl::Status> fetches_;  // keyed by blob digest, across namespaces
};

// Deletes the leases of pulls a crash interrupted (every pull lease, in every namespace: no pull outlives
// berthd), so garbage collection removes what they fetched or unpacked half-way. Returns how many it deleted.
absl::StatusOr<int> DropInterruptedPulls(namespaces::Store& namespaces, leases::Manager& leases);

}  // namespace berth::transfer
