// A minimal RAII wrapper of one LMDB environment with a fixed set of named tables, private to the snapshotter
// metastore (each snapshotter root has its own environment, apart from the daemon's metadata database).
//
// Threading as metadata/db.h: opened with MDB_NOTLS; one write transaction at a time (BeginWrite blocks), any
// number of readers; a WriteTxn must end on the thread that began it and a thread must never hold two.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

struct MDB_env;
struct MDB_txn;

namespace berth::snapshots::storage {

class LmdbEnv;

// A read view; aborted on destruction.
class LmdbTxn {
 public:
  LmdbTxn(LmdbTxn&& other) noexcept;
  LmdbTxn& operator=(LmdbTxn&&) = delete;
  virtual ~LmdbTxn();

  absl::StatusOr<std::optional<std::string>> Get(int table, std::string_view key) const;
  // Calls fn(key, value) for keys starting with `prefix`, in order, until fn returns false.
  absl::Status Scan(int table, std::string_view prefix,
                    const std::function<bool(std::string_view, std::string_view)>& fn) const;
  absl::StatusOr<bool> HasPrefix(int table, std::string_view prefix) const;

 protected:
  friend class LmdbEnv;
  LmdbTxn(const LmdbEnv* env, MDB_txn* txn) : env_(env), txn_(txn) {}
  unsigned Dbi(int table) const;
  const char* TableName(int table) const;

  const LmdbEnv* env_;
  MDB_txn* txn_;  // null once committed or aborted
};

// Aborted on destruction unless committed.
class LmdbWriteTxn : public LmdbTxn {
 public:
  LmdbWriteTxn(LmdbWriteTxn&&) noexcept = default;
  ~LmdbWriteTxn() override = default;

  absl::Status Put(int table, std::string_view key, std::string_view value);
  // Returns whether the key existed.
  absl::StatusOr<bool> Delete(int table, std::string_view key);
  // The transaction is over afterwards, whatever the result.
  absl::Status Commit();

 private:
  friend class LmdbEnv;
  LmdbWriteTxn(const LmdbEnv* env, MDB_txn* txn) : LmdbTxn(env, txn) {}
};

class LmdbEnv {
 public:
  // Opens (creating if needed, mode 0700) the environment directory `dir` with the named tables; table i of
  // the transactions is tables[i].
  static absl::StatusOr<std::unique_ptr<LmdbEnv>> Open(const std::filesystem::path& dir,
                                                       std::vector<std::string> tables);
  ~LmdbEnv();
  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;

  absl::StatusOr<LmdbTxn> BeginRead() const;
  absl::StatusOr<LmdbWriteTxn> BeginWrite();

  const std::filesystem::path& dir() const { return dir_; }

 private:
  friend class LmdbTxn;
  LmdbEnv(MDB_env* env, std::filesystem::path dir, std::vector<std::string> tables)
      : env_(env), dir_(std::move(dir)), tables_(std::move(tables)) {}

  MDB_env* env_;
  std::filesystem::path dir_;
  std::vector<std::string> tables_;
  std::vector<unsigned> dbis_;
};

}  // namespace berth::snapshots::storage
