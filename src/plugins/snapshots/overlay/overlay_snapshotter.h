// The overlayfs snapshotter (containerd's snapshots/overlay), the default backend.
//
// On disk, under `root` (0700):
//   metadata/            the metastore (LMDB; schema in storage/metastore.h)
//   snapshots/           0700
//     <id>/fs            0755: the snapshot's own layer (upperdir while Active, a lowerdir once Committed)
//     <id>/work          0711: overlay's workdir (Active only)
//     new-XXXXXX         a snapshot being created (renamed to <id> inside the creating transaction)
//     rm-<id>            a snapshot being removed (renamed inside the removing transaction, deleted after it)
// Ids are decimal numbers from the metastore; keys never appear in paths. Anything under snapshots/ that no
// record owns is garbage that Cleanup removes; no record ever points at a missing directory (a crash between
// Remove's rename and its commit is undone at the next Open).
//
// Mounts: no parent → bind of fs ("rw"/"ro", "rbind"); Active with parents → overlay with index=off (when the
// kernel has the feature), workdir, upperdir and lowerdir=<nearest>:...:<oldest>; View of one parent → ro bind
// of the parent's fs; View of more → overlay with only lowerdir. Committed snapshots get read-only mounts of
// their own chain (containerd returns a rw bind there; read-only is the contract). Note the kernel limits
// mount(2)'s option data to one page: about 4096 / len("<root>/snapshots/<id>/fs:") layers (≈ 60 under
// /var/lib/berth). Mounters must handle longer chains (the test helper uses fsconfig "lowerdir+").
//
// Thread-safe: every mutation is one metastore write transaction, so LMDB serializes them.
#pragma once

#include <filesystem>
#include <memory>

#include "core/snapshots/disk_layout.h"
#include "core/snapshots/snapshotter.h"
#include "plugins/snapshots/overlay/overlay_support.h"
#include "plugins/snapshots/storage/metastore.h"

namespace berth::snapshots {

struct OverlayOptions {
  // Probe overlayfs with a test mount at Open (FailedPrecondition if it does not work). Tests of the
  // metadata paths alone may turn it off.
  bool check_support = true;
};

class OverlaySnapshotter final : public Snapshotter, public DiskLayout {
 public:
  static absl::StatusOr<std::unique_ptr<OverlaySnapshotter>> Open(const std::filesystem::path& root,
                                                                  const OverlayOptions& options = {});

  absl::StatusOr<Info> Stat(const Context& ctx, const std::string& key) override;
  absl::StatusOr<Info> Update(const Context& ctx, const Info& info,
                              const std::vector<std::string>& fieldpaths) override;
  absl::StatusOr<Usage> GetUsage(const Context& ctx, const std::string& key) override;
  absl::StatusOr<std::vector<mount::Mount>> Mounts(const Context& ctx, const std::string& key) override;
  absl::StatusOr<std::vector<mount::Mount>> Prepare(const Context& ctx, const std::string& key,
                                                    const std::string& parent, const Options& opts) override;
  absl::StatusOr<std::vector<mount::Mount>> View(const Context& ctx, const std::string& key,
                                                 const std::string& parent, const Options& opts) override;
  absl::Status Commit(const Context& ctx, const std::string& name, const std::string& key,
                      const Options& opts) override;
  absl::Status Remove(const Context& ctx, const std::string& key) override;
  absl::Status Walk(const Context& ctx, const std::vector<std::string>& filters,
                    const std::function<absl::Status(const Info&)>& fn) override;
  absl::Status Cleanup(const Context& ctx) override;

  const std::filesystem::path& root() const { return root_; }

  // DiskLayout (read-only, for berth df/fsck).
  std::filesystem::path RootDir() const override { return root_; }
  std::filesystem::path SnapshotsDir() const override { return root_ / "snapshots"; }
  absl::StatusOr<std::filesystem::path> SnapshotDir(const std::string& key) const override;
  absl::StatusOr<std::filesystem::path> LayerDir(const std::string& key) const override;

 private:
  OverlaySnapshotter(std::filesystem::path root, std::unique_ptr<storage::MetaStore> ms, OverlaySupport support)
      : root_(std::move(root)), ms_(std::move(ms)), support_(support) {}

  absl::StatusOr<std::vector<mount::Mount>> Create(Kind kind, const std::string& key, const std::string& parent,
                                                   const Options& opts);
  std::vector<mount::Mount> MountsOf(const storage::Snapshot& s) const;
  std::filesystem::path DirOf(const std::string& id) const { return SnapshotsDir() / id; }
  std::filesystem::path UpperOf(const std::string& id) const { return DirOf(id) / "fs"; }

  std::filesystem::path root_;
  std::unique_ptr<storage::MetaStore> ms_;
  OverlaySupport support_;
};

}  // namespace berth::snapshots
