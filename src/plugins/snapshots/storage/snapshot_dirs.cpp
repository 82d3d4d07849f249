#include "plugins/snapshots/storage/snapshot_dirs.h"

#include <stdio.h>

#include <cerrno>
#include <vector>

#include "base/status.h"
#include "plugins/snapshots/storage/fs_util.h"

namespace berth::snapshots::storage {

absl::Status RecoverRemovals(MetaStore& ms, const std::filesystem::path& snapshots_dir) {
  ASSIGN_OR_RETURN(LmdbWriteTxn txn, ms.BeginWrite());  // the write lock: no Remove runs meanwhile
  ASSIGN_OR_RETURN(std::set<std::string> ids, MetaStore::Ids(txn));
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(snapshots_dir));
  for (const std::string& name : names) {
    if (!name.starts_with(kRemovedPrefix)) continue;
    std::string id = name.substr(kRemovedPrefix.size());
    if (!ids.contains(id)) continue;
    const std::filesystem::path from = snapshots_dir / name;
    const std::filesystem::path to = snapshots_dir / id;
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoStatus(errno, "restore snapshot dir of an uncommitted removal", from.string());
    }
  }
  return absl::OkStatus();  // nothing written: the transaction aborts
}

absl::Status RemoveSnapshot(MetaStore& ms, const std::filesystem::path& snapshots_dir, const std::string& key) {
  ASSIGN_OR_RETURN(LmdbWriteTxn txn, ms.BeginWrite());
  ASSIGN_OR_RETURN(Record r, MetaStore::Remove(txn, key));
  const std::filesystem::path dir = snapshots_dir / r.id;
  const std::filesystem::path removed = snapshots_dir / fmt::format("{}{}", kRemovedPrefix, r.id);
  bool renamed = ::rename(dir.c_str(), removed.c_str()) == 0;
  if (!renamed && errno != ENOENT) {
    return WithContext(ErrnoStatus(errno, "rename", dir.string()), fmt::format("remove snapshot {:?}", key));
  }
  if (absl::Status st = txn.Commit(); !st.ok()) {
    if (renamed && ::rename(removed.c_str(), dir.c_str()) != 0) {
      // RecoverRemovals restores it at the next Open.
      return WithContext(st, fmt::format("remove snapshot {:?} (its dir is left at {} until restart)", key,
                                         removed.string()));
    }
    return WithContext(st, fmt::format("remove snapshot {:?}", key));
  }
  if (renamed) {
    IgnoreError(RemoveTree(removed), "the record is gone; Cleanup removes what is left of rm-<id>");
  }
  return absl::OkStatus();
}

absl::Status CleanupDirs(MetaStore& ms, const std::filesystem::path& snapshots_dir,
                         const std::function<bool(const std::string& name)>& in_use) {
  std::vector<std::filesystem::path> garbage;
  {
    ASSIGN_OR_RETURN(LmdbWriteTxn txn, ms.BeginWrite());
    ASSIGN_OR_RETURN(std::set<std::string> ids, MetaStore::Ids(txn));
    ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(snapshots_dir));
    for (const std::string& name : names) {
      if (ids.contains(name) || in_use(name)) continue;
      garbage.push_back(snapshots_dir / name);
    }
  }
  for (const auto& path : garbage) {
    RETURN_IF_ERROR(WithContext(RemoveTree(path), "cleanup of snapshot leftovers"));
  }
  return absl::OkStatus();
}

}  // namespace berth::snapshots::storage
