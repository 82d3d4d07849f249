#include "plugins/snapshots/overlay/overlay_snapshotter.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/scope_guard.h"
#include "base/status.h"
#include "plugins/snapshots/storage/fs_util.h"
#include "plugins/snapshots/storage/info_filter.h"
#include "plugins/snapshots/storage/snapshot_dirs.h"

namespace berth::snapshots {

using storage::LmdbTxn;
using storage::LmdbWriteTxn;
using storage::MetaStore;

absl::StatusOr<std::unique_ptr<OverlaySnapshotter>> OverlaySnapshotter::Open(const std::filesystem::path& root,
                                                                            const OverlayOptions& options) {
  RETURN_IF_ERROR(storage::MkdirIfMissing(root, 0700));
  ASSIGN_OR_RETURN(std::unique_ptr<MetaStore> ms, MetaStore::Open(root / "metadata"));
  RETURN_IF_ERROR(storage::MkdirIfMissing(root / "snapshots", 0700));
  OverlaySupport support;
  if (options.check_support) {
    ASSIGN_OR_RETURN(support, ProbeOverlay(root));
  }
  RETURN_IF_ERROR(WithContext(storage::RecoverRemovals(*ms, root / "snapshots"),
                              fmt::format("open overlay snapshotter {}", root.string())));
  return std::unique_ptr<OverlaySnapshotter>(new OverlaySnapshotter(root, std::move(ms), support));
}

absl::StatusOr<Info> OverlaySnapshotter::Stat(const Context& ctx, const std::string& key) {
  ASSIGN_OR_RETURN(LmdbTxn txn, ms_->BeginRead());
  ASSIGN_OR_RETURN(storage::Record r, MetaStore::Get(txn, key));
  return r.info;
}

absl::StatusOr<Info> OverlaySnapshotter::Update(const Context& ctx, const Info& info,
                                                const std::vector<std::string>& fieldpaths) {
  ASSIGN_OR_RETURN(LmdbWriteTxn txn, ms_->BeginWrite());
  ASSIGN_OR_RETURN(Info updated, MetaStore::Update(txn, info, fieldpaths));
  RETURN_IF_ERROR(txn.Commit());
  return updated;
}

absl::StatusOr<Usage> OverlaySnapshotter::GetUsage(const Context& ctx, const std::string& key) {
  storage::Record r;
  {
    ASSIGN_OR_RETURN(LmdbTxn txn, ms_->BeginRead());
    ASSIGN_OR_RETURN(r, MetaStore::Get(txn, key));
  }
  if (r.info.kind != Kind::kActive) return r.usage;
  absl::StatusOr<Usage> usage = storage::DiskUsage(UpperOf(r.id));
  RETURN_IF_ERROR(WithContext(usage.status(), fmt::format("usage of snapshot {:?}", key)));
  return *usage;
}

absl::StatusOr<std::vector<mount::Mount>> OverlaySnapshotter::Mounts(const Context& ctx, const std::string& key) {
  ASSIGN_OR_RETURN(LmdbTxn txn, ms_->BeginRead());
  ASSIGN_OR_RETURN(storage::Snapshot s, MetaStore::GetSnapshot(txn, key));
  return MountsOf(s);
}

absl::StatusOr<std::vector<mount::Mount>> OverlaySnapshotter::Prepare(const Context& ctx, const std::string& key,
                                                                      const std::string& parent,
                                                                      const Options& opts) {
  return Create(Kind::kActive, key, parent, opts);
}

absl::StatusOr<std::vector<mount::Mount>> OverlaySnapshotter::View(const Context& ctx, const std::string& key,
                                                                   const std::string& parent,
                                                                   const Options& opts) {
  return Create(Kind::kView, key, parent, opts);
}

absl::StatusOr<std::vector<mount::Mount>> OverlaySnapshotter::Create(Kind kind, const std::string& key,
                                                                     const std::string& parent,
                                                                     const Options& opts) {
  const std::string what = fmt::format("{} snapshot {:?}", kind == Kind::kView ? "view" : "prepare", key);
  // The write transaction is taken first: Cleanup lists under it, so it never sees our new-* dir as garbage.
  ASSIGN_OR_RETURN(LmdbWriteTxn txn, ms_->BeginWrite());
  std::string pattern = (SnapshotsDir() / fmt::format("{}XXXXXX", storage::kNewPrefix)).string();
  if (::mkdtemp(pattern.data()) == nullptr) return WithContext(ErrnoStatus(errno, "mkdtemp", pattern), what);
  std::filesystem::path tmp = pattern;
  ScopeGuard remove_tmp([&] { IgnoreError(storage::RemoveTree(tmp), "Cleanup removes new-* leftovers"); });
  RETURN_IF_ERROR(WithContext(storage::MkdirIfMissing(tmp / "fs", 0755), what));
  if (kind == Kind::kActive) RETURN_IF_ERROR(WithContext(storage::MkdirIfMissing(tmp / "work", 0711), what));
  // mkdir applies the umask; the layer root's mode is part of what containers see.
  if (::chmod((tmp / "fs").c_str(), 0755) != 0) {
    return WithContext(ErrnoStatus(errno, "chmod", (tmp / "fs").string()), what);
  }

  ASSIGN_OR_RETURN(storage::Snapshot s, MetaStore::Create(txn, kind, key, parent, opts.labels));
  if (!s.parent_ids.empty()) {
    // The upper dir's owner shows through as the merged root's owner: keep the parent's (containerd does).
    struct stat st;
    const std::filesystem::path parent_fs = UpperOf(s.parent_ids.front());
    if (::stat(parent_fs.c_str(), &st) != 0) return WithContext(ErrnoStatus(errno, "stat", parent_fs.string()), what);
    if (::lchown((tmp / "fs").c_str(), st.st_uid, st.st_gid) != 0) {
      return WithContext(ErrnoStatus(errno, "chown", (tmp / "fs").string()), what);
    }
  }
  const std::filesystem::path dir = DirOf(s.id);
  if (::rename(tmp.c_str(), dir.c_str()) != 0) return WithContext(ErrnoStatus(errno, "rename", dir.string()), what);
  tmp = dir;  // from here on, failure removes the renamed dir
  RETURN_IF_ERROR(WithContext(txn.Commit(), what));
  remove_tmp.Dismiss();
  return MountsOf(s);
}

absl::Status OverlaySnapshotter::Commit(const Context& ctx, const std::string& name, const std::string& key,
                                        const Options& opts) {
  const std::string what = fmt::format("commit snapshot {:?} as {:?}", key, name);
  // Measure outside the write transaction (a large layer takes a while and every writer would wait).
  std::string id;
  {
    ASSIGN_OR_RETURN(LmdbTxn txn, ms_->BeginRead());
    absl::StatusOr<storage::Record> r = MetaStore::Get(txn, key);
    RETURN_IF_ERROR(WithContext(r.status(), what));
    if (r->info.kind != Kind::kActive) {
      return absl::FailedPreconditionError(fmt::format("{}: snapshot {:?} is not active", what, key));
    }
    id = r->id;
  }
  absl::StatusOr<Usage> usage = storage::DiskUsage(UpperOf(id));
  RETURN_IF_ERROR(WithContext(usage.status(), what));
  ASSIGN_OR_RETURN(LmdbWriteTxn txn, ms_->BeginWrite());
  absl::StatusOr<std::string> committed = MetaStore::Commit(txn, key, name, *usage, opts.labels);
  RETURN_IF_ERROR(WithContext(committed.status(), what));
  if (*committed != id) {
    return absl::AbortedError(fmt::format("{}: the snapshot was removed and prepared again meanwhile", what));
  }
  return WithContext(txn.Commit(), what);
}

absl::Status OverlaySnapshotter::Remove(const Context& ctx, const std::string& key) {
  return storage::RemoveSnapshot(*ms_, SnapshotsDir(), key);
}

absl::Status OverlaySnapshotter::Walk(const Context& ctx, const std::vector<std::string>& filters,
                                      const std::function<absl::Status(const Info&)>& fn) {
  ASSIGN_OR_RETURN(LmdbTxn txn, ms_->BeginRead());
  return storage::WalkInfo(txn, filters, fn);
}

absl::Status OverlaySnapshotter::Cleanup(const Context& ctx) {
  return storage::CleanupDirs(*ms_, SnapshotsDir(), [](const std::string&) { return false; });
}

std::vector<mount::Mount> OverlaySnapshotter::MountsOf(const storage::Snapshot& s) const {
  const bool writable = s.kind == Kind::kActive;
  // A Committed snapshot is shown read-only through its own chain.
  std::vector<std::string> lowers = s.parent_ids;
  if (s.kind == Kind::kCommitted) {
    lowers.insert(lowers.begin(), s.id);
  }
  if (s.kind != Kind::kCommitted && lowers.empty()) {
    return {{.type = "bind", .source = UpperOf(s.id).string(), .options = {writable ? "rw" : "ro", "rbind"}}};
  }
  if (!writable && lowers.size() == 1) {
    // overlayfs needs two lower dirs without an upper: one read-only layer is a plain read-only bind.
    return {{.type = "bind", .source = UpperOf(lowers.front()).string(), .options = {"ro", "rbind"}}};
  }
  std::vector<std::string> options;
  if (support_.index_off) options.push_back("index=off");
  if (writable) {
    options.push_back(fmt::format("workdir={}", (DirOf(s.id) / "work").string()));
    options.push_back(fmt::format("upperdir={}", UpperOf(s.id).string()));
  }
  std::string lowerdir = "lowerdir=";
  for (size_t i = 0; i < lowers.size(); ++i) {
    if (i > 0) lowerdir += ':';
    lowerdir += UpperOf(lowers[i]).string();
  }
  options.push_back(std::move(lowerdir));
  return {{.type = "overlay", .source = "overlay", .options = std::move(options)}};
}

absl::StatusOr<std::filesystem::path> OverlaySnapshotter::SnapshotDir(const std::string& key) const {
  ASSIGN_OR_RETURN(LmdbTxn txn, ms_->BeginRead());
  ASSIGN_OR_RETURN(storage::Record r, MetaStore::Get(txn, key));
  return DirOf(r.id);
}

absl::StatusOr<std::filesystem::path> OverlaySnapshotter::LayerDir(const std::string& key) const {
  ASSIGN_OR_RETURN(std::filesystem::path dir, SnapshotDir(key));
  return dir / "fs";
}

}  // namespace berth::snapshots
