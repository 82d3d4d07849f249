#include "plugins/snapshots/native/native_snapshotter.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>

#include "base/scope_guard.h"
#include "base/status.h"
#include "plugins/snapshots/native/copy_tree.h"
#include "plugins/snapshots/storage/fs_util.h"
#include "plugins/snapshots/storage/info_filter.h"
#include "plugins/snapshots/storage/snapshot_dirs.h"

namespace berth::snapshots {

using storage::LmdbTxn;
using storage::LmdbWriteTxn;
using storage::MetaStore;

absl::StatusOr<std::unique_ptr<NativeSnapshotter>> NativeSnapshotter::Open(const std::filesystem::path& root) {
  RETURN_IF_ERROR(storage::MkdirIfMissing(root, 0700));
  ASSIGN_OR_RETURN(std::unique_ptr<MetaStore> ms, MetaStore::Open(root / "metadata"));
  RETURN_IF_ERROR(storage::MkdirIfMissing(root / "snapshots", 0700));
  RETURN_IF_ERROR(WithContext(storage::RecoverRemovals(*ms, root / "snapshots"),
                              fmt::format("open native snapshotter {}", root.string())));
  return std::unique_ptr<NativeSnapshotter>(new NativeSnapshotter(root, std::move(ms)));
}

absl::StatusOr<Info> NativeSnapshotter::Stat(const Context& ctx, const std::string& key) {
  ASSIGN_OR_RETURN(LmdbTxn txn, ms_->BeginRead());
  ASSIGN_OR_RETURN(storage::Record r, MetaStore::Get(txn, key));
  return r.info;
}

absl::StatusOr<Info> NativeSnapshotter::Update(const Context& ctx, const Info& info,
                                               const std::vector<std::string>& fieldpaths) {
  ASSIGN_OR_RETURN(LmdbWriteTxn txn, ms_->BeginWrite());
  ASSIGN_OR_RETURN(Info updated, MetaStore::Update(txn, info, fieldpaths));
  RETURN_IF_ERROR(txn.Commit());
  return updated;
}

absl::StatusOr<Usage> NativeSnapshotter::GetUsage(const Context& ctx, const std::string& key) {
  storage::Record r;
  {
    ASSIGN_OR_RETURN(LmdbTxn txn, ms_->BeginRead());
    ASSIGN_OR_RETURN(r, MetaStore::Get(txn, key));
  }
  if (r.info.kind != Kind::kActive) return r.usage;
  // A native snapshot holds its parent's full copy, so this is its whole tree, as in containerd.
  absl::StatusOr<Usage> usage = storage::DiskUsage(DirOf(r.id));
  RETURN_IF_ERROR(WithContext(usage.status(), fmt::format("usage of snapshot {:?}", key)));
  return *usage;
}

absl::StatusOr<std::vector<mount::Mount>> NativeSnapshotter::Mounts(const Context& ctx, const std::string& key) {
  ASSIGN_OR_RETURN(LmdbTxn txn, ms_->BeginRead());
  ASSIGN_OR_RETURN(storage::Snapshot s, MetaStore::GetSnapshot(txn, key));
  return MountsOf(s);
}

absl::StatusOr<std::vector<mount::Mount>> NativeSnapshotter::Prepare(const Context& ctx, const std::string& key,
                                                                     const std::string& parent,
                                                                     const Options& opts) {
  return Create(Kind::kActive, key, parent, opts);
}

absl::StatusOr<std::vector<mount::Mount>> NativeSnapshotter::View(const Context& ctx, const std::string& key,
                                                                  const std::string& parent,
                                                                  const Options& opts) {
  return Create(Kind::kView, key, parent, opts);
}

absl::StatusOr<std::vector<mount::Mount>> NativeSnapshotter::Create(Kind kind, const std::string& key,
                                                                    const std::string& parent,
                                                                    const Options& opts) {
  const std::string what = fmt::format("{} snapshot {:?}", kind == Kind::kView ? "view" : "prepare", key);
  // Fail fast, before a possibly long copy, on what the transaction would refuse anyway.
  std::string parent_id;
  {
    ASSIGN_OR_RETURN(LmdbTxn txn, ms_->BeginRead());
    if (MetaStore::Get(txn, key).ok()) return absl::AlreadyExistsError(fmt::format("{}: it already exists", what));
    if (!parent.empty()) {
      absl::StatusOr<storage::Record> p = MetaStore::Get(txn, parent);
      if (p.ok()) parent_id = p->id;  // other cases are reported by MetaStore::Create below
    }
  }
  const bool own_dir = kind == Kind::kActive || parent.empty();
  std::filesystem::path tmp;
  std::string tmp_name;
  ScopeGuard forget([&] {
    if (!tmp.empty()) IgnoreError(storage::RemoveTree(tmp), "Cleanup removes new-* leftovers");
    if (!tmp_name.empty()) {
      std::lock_guard<std::mutex> lock(copying_mu_);
      copying_.erase(tmp_name);
    }
  });
  if (own_dir) {
    std::lock_guard<std::mutex> lock(copying_mu_);
    std::string pattern = (SnapshotsDir() / fmt::format("{}XXXXXX", storage::kNewPrefix)).string();
    if (::mkdtemp(pattern.data()) == nullptr) return WithContext(ErrnoStatus(errno, "mkdtemp", pattern), what);
    tmp = pattern;
    tmp_name = tmp.filename().string();
    copying_.insert(tmp_name);
  }
  if (own_dir && ::chmod(tmp.c_str(), 0755) != 0) return WithContext(ErrnoStatus(errno, "chmod", tmp.string()), what);
  if (own_dir && !parent_id.empty()) RETURN_IF_ERROR(WithContext(CopyTree(DirOf(parent_id), tmp), what));

  ASSIGN_OR_RETURN(LmdbWriteTxn txn, ms_->BeginWrite());
  absl::StatusOr<storage::Snapshot> s = MetaStore::Create(txn, kind, key, parent, opts.labels);
  RETURN_IF_ERROR(WithContext(s.status(), what));
  const std::string copied_from = s->parent_ids.empty() ? "" : s->parent_ids.front();
  if (copied_from != parent_id) {
    return absl::AbortedError(fmt::format("{}: parent {:?} was removed and made again meanwhile", what, parent));
  }
  if (own_dir) {
    const std::filesystem::path dir = DirOf(s->id);
    if (::rename(tmp.c_str(), dir.c_str()) != 0) return WithContext(ErrnoStatus(errno, "rename", dir.string()), what);
    tmp = dir;  // from here on, failure removes the renamed dir
  }
  RETURN_IF_ERROR(WithContext(txn.Commit(), what));
  tmp.clear();
  return MountsOf(*s);
}

absl::Status NativeSnapshotter::Commit(const Context& ctx, const std::string& name, const std::string& key,
                                       const Options& opts) {
  const std::string what = fmt::format("commit snapshot {:?} as {:?}", key, name);
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
  absl::StatusOr<Usage> usage = storage::DiskUsage(DirOf(id));
  RETURN_IF_ERROR(WithContext(usage.status(), what));
  ASSIGN_OR_RETURN(LmdbWriteTxn txn, ms_->BeginWrite());
  absl::StatusOr<std::string> committed = MetaStore::Commit(txn, key, name, *usage, opts.labels);
  RETURN_IF_ERROR(WithContext(committed.status(), what));
  if (*committed != id) {
    return absl::AbortedError(fmt::format("{}: the snapshot was removed and prepared again meanwhile", what));
  }
  return WithContext(txn.Commit(), what);
}

absl::Status NativeSnapshotter::Remove(const Context& ctx, const std::string& key) {
  return storage::RemoveSnapshot(*ms_, SnapshotsDir(), key);
}

absl::Status NativeSnapshotter::Walk(const Context& ctx, const std::vector<std::string>& filters,
                                     const std::function<absl::Status(const Info&)>& fn) {
  ASSIGN_OR_RETURN(LmdbTxn txn, ms_->BeginRead());
  return storage::WalkInfo(txn, filters, fn);
}

absl::Status NativeSnapshotter::Cleanup(const Context& ctx) {
  return storage::CleanupDirs(*ms_, SnapshotsDir(), [this](const std::string& name) {
    std::lock_guard<std::mutex> lock(copying_mu_);
    return copying_.contains(name);
  });
}

std::vector<mount::Mount> NativeSnapshotter::MountsOf(const storage::Snapshot& s) const {
  const bool own_dir = s.kind != Kind::kView || s.parent_ids.empty();
  const std::string& id = own_dir ? s.id : s.parent_ids.front();
  return {{.type = "bind",
           .source = DirOf(id).string(),
           .options = {"rbind", s.kind == Kind::kActive ? "rw" : "ro"}}};  // containerd's order
}

absl::StatusOr<std::filesystem::path> NativeSnapshotter::SnapshotDir(const std::string& key) const {
  ASSIGN_OR_RETURN(LmdbTxn txn, ms_->BeginRead());
  ASSIGN_OR_RETURN(storage::Record r, MetaStore::Get(txn, key));
  return DirOf(r.id);
}

absl::StatusOr<std::filesystem::path> NativeSnapshotter::LayerDir(const std::string& key) const {
  ASSIGN_OR_RETURN(std::filesystem::path dir, SnapshotDir(key));
  return dir;
}

}  // namespace berth::snapshots
