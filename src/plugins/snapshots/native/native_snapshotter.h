// The native snapshotter (containerd's snapshots/native): plain directories, for file systems where overlayfs
// does not work. Prepare copies the parent's whole tree (copy_tree.h), so a layer costs its full size.
//
// On disk, under `root` (0700):
//   metadata/          the metastore (LMDB; schema in storage/metastore.h)
//   snapshots/         0700
//     <id>/            0755 (or the parent's root mode): the snapshot's tree, mounted with a bind
//     new-XXXXXX       a snapshot being copied; renamed to <id> inside the creating transaction
//     rm-<id>          a snapshot being removed (see storage/snapshot_dirs.h)
// A View of a parent has no directory: it is a read-only bind of the parent's (as containerd does).
//
// Mounts: {type "bind", source the directory, options "rw"|"ro", "rbind"}. Committed snapshots: "ro".
//
// The copy runs before the write transaction (every other writer would wait for it); the transaction then
// re-checks the parent, so a parent removed meanwhile fails the Prepare. Thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "core/snapshots/disk_layout.h"
#include "core/snapshots/snapshotter.h"
#include "plugins/snapshots/storage/metastore.h"

namespace berth::snapshots {

class NativeSnapshotter final : public Snapshotter, public DiskLayout {
 public:
  static absl::StatusOr<std::unique_ptr<NativeSnapshotter>> Open(const std::filesystem::path& root);

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

  // DiskLayout (read-only, for berth df/fsck).
  std::filesystem::path RootDir() const override { return root_; }
  std::filesystem::path SnapshotsDir() const override { return root_ / "snapshots"; }
  absl::StatusOr<std::filesystem::path> SnapshotDir(const std::string& key) const override;
  absl::StatusOr<std::filesystem::path> LayerDir(const std::string& key) const override;

 private:
  NativeSnapshotter(std::filesystem::path root, std::unique_ptr<storage::MetaStore> ms)
      : root_(std::move(root)), ms_(std::move(ms)) {}

  absl::StatusOr<std::vector<mount::Mount>> Create(Kind kind, const std::string& key, const std::string& parent,
                                                   const Options& opts);
  std::vector<mount::Mount> MountsOf(const storage::Snapshot& s) const;
  std::filesystem::path DirOf(const std::string& id) const { return SnapshotsDir() / id; }

  std::filesystem::path root_;
  std::unique_ptr<storage::MetaStore> ms_;
  // new-* directories being filled outside a transaction: Cleanup must not take them for garbage.
  std::mutex copying_mu_;
  std::set<std::string> copying_;
};

}  // namespace berth::snapshots
