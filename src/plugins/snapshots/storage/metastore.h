// The metadata both on-disk snapshotters share (containerd's snapshots/storage): which snapshots exist, their
// numeric ids (the only names used on disk: keys are client strings and never become path components), kind,
// parent chain, labels, times and the usage recorded at commit.
//
// LMDB schema (environment <root>/metadata/, version in meta/"version"):
//   meta      "version" → "1";  "next_id" → decimal, the last id handed out (ids are never reused, so a
//             directory named by an old id can never be mistaken for a newer snapshot's)
//   snapshots key → JSON {id, kind, parent, labels, created, updated (unix ns), size, inodes}
//   children  "<parent id, 20 digits>/<child id, 20 digits>" → child key: the "has children" index
//
// Every mutation is one write transaction, begun by the caller (so it can order file-system steps around the
// commit) and passed to these functions; they never commit.
#pragma once

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/snapshots/snapshotter.h"
#include "plugins/snapshots/storage/lmdb_env.h"

namespace berth::snapshots::storage {

// What a backend needs to lay out mounts.
struct Snapshot {
  std::string id;
  Kind kind = Kind::kUnknown;
  std::vector<std::string> parent_ids;  // nearest parent first
};

// A record as stored.
struct Record {
  std::string id;
  Info info;
  Usage usage;  // meaningful for Committed snapshots only
};

class MetaStore {
 public:
  // Opens (creating) the metastore in `dir`.
  static absl::StatusOr<std::unique_ptr<MetaStore>> Open(const std::filesystem::path& dir);

  absl::StatusOr<LmdbTxn> BeginRead() const { return env_->BeginRead(); }
  absl::StatusOr<LmdbWriteTxn> BeginWrite() { return env_->BeginWrite(); }

  // NotFound naming the key if it does not exist.
  static absl::StatusOr<Record> Get(const LmdbTxn& txn, const std::string& key);
  // The snapshot with its chain of parent ids.
  static absl::StatusOr<Snapshot> GetSnapshot(const LmdbTxn& txn, const std::string& key);
  // Makes an Active or View snapshot. AlreadyExists if `key` exists, NotFound if `parent` does not,
  // InvalidArgument if it is not Committed.
  static absl::StatusOr<Snapshot> Create(LmdbWriteTxn& txn, Kind kind, const std::string& key,
                                         const std::string& parent, const Labels& labels);
  // Turns Active `key` into Committed `name` with `usage`, keeping its id, which is returned. NotFound if `key`
  // does not exist, FailedPrecondition if it is not Active, AlreadyExists if `name` exists.
  static absl::StatusOr<std::string> Commit(LmdbWriteTxn& txn, const std::string& key,
                                            const std::string& name, const Usage& usage,
                                            const Labels& labels);
  // Deletes `key`'s record; returns its id and kind. FailedPrecondition while it has children.
  static absl::StatusOr<Record> Remove(LmdbWriteTxn& txn, const std::string& key);
  // Updates labels as Snapshotter::Update describes.
  static absl::StatusOr<Info> Update(LmdbWriteTxn& txn, const Info& info,
                                     const std::vector<std::string>& fieldpaths);
  // Every record, in key order.
  static absl::Status Walk(const LmdbTxn& txn, const std::function<absl::Status(const Record&)>& fn);
  // The ids of every snapshot (for Cleanup).
  static absl::StatusOr<std::set<std::string>> Ids(const LmdbTxn& txn);

 private:
  explicit MetaStore(std::unique_ptr<LmdbEnv> env) : env_(std::move(env)) {}
  std::unique_ptr<LmdbEnv> env_;
};

}  // namespace berth::snapshots::storage
