#include "fsck/snapshot_repair.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <sstream>

#include "absl/time/clock.h"
#include "base/close_on_exec.h"
#include "base/scope_guard.h"
#include "base/status.h"
#include "core/snapshots/disk_layout.h"
#include "fmt/format.h"
#include "metadata/keys.h"
#include "metadata/snapshot_record.h"
#include "metadata/snapshot_txn.h"

namespace berth::fsck {

namespace {

absl::StatusOr<std::string> BackendKey(const metadata::Db& db, const std::string& ns, const std::string& snapshotter,
                                       const std::string& key) {
  std::string backend_key;
  RETURN_IF_ERROR(db.View([&](const metadata::Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<metadata::SnapshotRecord> record,
                     metadata::LoadSnapshot(txn, ns, snapshotter, key));
    if (!record) {
      return absl::NotFoundError(fmt::format("snapshot {}/{} in namespace {} is gone", snapshotter, key, ns));
    }
    backend_key = record->backend_key;
    return absl::OkStatus();
  }));
  return backend_key;
}

absl::StatusOr<snapshots::DiskLayout*> LayoutOf(metadata::SnapshotStore& store) {
  auto* layout = dynamic_cast<snapshots::DiskLayout*>(store.backend().get());
  if (layout == nullptr) {
    return absl::UnimplementedError(fmt::format("snapshotter {} keeps no directories", store.snapshotter()));
  }
  return layout;
}

absl::StatusOr<std::string> LayerDirOf(const metadata::Db& db, metadata::SnapshotStore& store, const std::string& ns,
                                       const std::string& key) {
  ASSIGN_OR_RETURN(snapshots::DiskLayout * layout, LayoutOf(store));
  ASSIGN_OR_RETURN(std::string backend_key, BackendKey(db, ns, store.snapshotter(), key));
  ASSIGN_OR_RETURN(std::filesystem::path dir, layout->LayerDir(backend_key));
  return dir.string();
}

}  // namespace

absl::StatusOr<LayerLocation> LocateLayer(const metadata::Db& db, const UnpackedLayer& l) {
  ASSIGN_OR_RETURN(snapshots::DiskLayout * layout, LayoutOf(*l.store));
  ASSIGN_OR_RETURN(std::string backend_key, BackendKey(db, l.ns, l.store->snapshotter(), l.key));
  ASSIGN_OR_RETURN(std::filesystem::path layer, layout->LayerDir(backend_key));
  ASSIGN_OR_RETURN(std::filesystem::path dir, layout->SnapshotDir(backend_key));
  return LayerLocation{.dir = layer.string(), .layer_only = layer != dir};
}

bool MountedFrom(const std::string& dir) {
  // Not an ifstream: its fd would lack O_CLOEXEC while berthd spawns shims.
  absl::StatusOr<std::string> text = ReadSmallFile("/proc/self/mountinfo", 64 << 20);
  if (!text.ok()) return false;
  std::istringstream mountinfo(*text);
  for (std::string line; std::getline(mountinfo, line);) {
    size_t at = line.find(dir);
    // The path followed by a separator: a lowerdir list, an option's end, or the end of a field.
    while (at != std::string::npos) {
      size_t end = at + dir.size();
      if (end == line.size() || line[end] == ':' || line[end] == ',' || line[end] == ' ') return true;
      at = line.find(dir, end);
    }
  }
  return false;
}

absl::Status ReunpackLayer(const metadata::Db& db, const UnpackedLayer& l, diff::Applier& applier) {
  Context ctx;
  ctx.ns = l.ns;
  const std::string what = fmt::format("re-unpack snapshot {}/{} in namespace {}", l.store->snapshotter(), l.key, l.ns);
  const std::string fresh = fmt::format("{}{}", kRepairPrefix, absl::ToUnixNanos(absl::Now()));
  ASSIGN_OR_RETURN(std::string damaged_dir, LayerDirOf(db, *l.store, l.ns, l.key));
  // gc.root keeps a collection that runs meanwhile from taking the fresh snapshot; a crash's leftover is removed
  // by the next fsck (RemoveRepairLeftovers).
  snapshots::Options opts{.labels = {{"containerd.io/gc.root", "fsck"}}};
  ASSIGN_OR_RETURN(std::vector<mount::Mount> mounts, l.store->Prepare(ctx, fresh, l.parent, opts));
  ScopeGuard remove_fresh([&] { IgnoreError(l.store->Remove(ctx, fresh), "gc removes an unreferenced snapshot"); });
  RETURN_IF_ERROR(WithContext(applier.Apply(ctx, l.layer, mounts).status(), what));
  ASSIGN_OR_RETURN(std::string fresh_dir, LayerDirOf(db, *l.store, l.ns, fresh));
  if (::renameat2(AT_FDCWD, fresh_dir.c_str(), AT_FDCWD, damaged_dir.c_str(), RENAME_EXCHANGE) != 0) {
    return WithContext(ErrnoStatus(errno, "renameat2(RENAME_EXCHANGE)", damaged_dir), what);
  }
  // The swap is durable once both parents are synced (they differ: each snapshot has its own directory).
  for (const std::string& d : {fresh_dir, damaged_dir}) {
    int fd = ::open(std::filesystem::path(d).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      ::fsync(fd);
      ::close(fd);
    }
  }
  return absl::OkStatus();  // remove_fresh now removes the damaged tree
}

absl::Status RemoveRepairLeftovers(const metadata::Db& db, const std::vector<metadata::SnapshotStore*>& stores) {
  struct Leftover {
    std::string ns, snapshotter, key;
  };
  std::vector<Leftover> leftovers;
  RETURN_IF_ERROR(db.View([&](const metadata::Txn& txn) {
    absl::Status error;
    RETURN_IF_ERROR(txn.Scan(metadata::Table::kSnapshots, "", [&](std::string_view key, std::string_view value) {
      std::vector<std::string> parts = metadata::SplitKey(key);
      absl::StatusOr<metadata::SnapshotRecord> record = metadata::DecodeSnapshot(parts.back(), value);
      if (!record.ok()) {
        error = record.status();
        return false;
      }
      if (record->key.starts_with(kRepairPrefix)) leftovers.push_back({parts[0], parts[1], record->key});
      return true;
    }));
    return error;
  }));
  for (const Leftover& l : leftovers) {
    for (metadata::SnapshotStore* store : stores) {
      if (store->snapshotter() != l.snapshotter) continue;
      Context ctx;
      ctx.ns = l.ns;
      absl::Status s = store->Remove(ctx, l.key);
      if (!s.ok() && !absl::IsNotFound(s)) {
        return WithContext(s, fmt::format("remove the leftover of an interrupted fsck repair {}", l.key));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace berth::fsck
