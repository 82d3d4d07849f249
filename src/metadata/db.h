// The metadata database: one LMDB environment under <root>/metadata/ (data.mdb, lock.mdb), holding every table
// of schema.md. Every mutation is exactly one write transaction (Db::Update); reads see a consistent snapshot.
//
// Threading: a Db is shared by all stores and threads. LMDB admits one writer at a time (BeginWrite blocks until
// the previous write transaction ends) and any number of readers; the environment is opened with MDB_NOTLS so a
// read transaction is tied to its object, not its thread. A WriteTxn must end on the thread that began it, and a
// thread must never begin a second WriteTxn while it holds one (it would wait for itself). Never do long I/O
// while holding a WriteTxn: every other writer waits for it.
//
// Memory: the map is a read-only shared mapping (no MDB_WRITEMAP), so only the pages a write transaction dirties
// are private memory, and only until it commits. Durability: LMDB's default sync on commit (no MDB_NOSYNC), so a
// committed transaction survives kill -9 and power loss.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

struct MDB_env;
struct MDB_txn;

namespace berth::metadata {

// The LMDB named databases; schema.md documents each one's keys and values.
enum class Table {
  kMeta,
  kNamespaces,
  kImages,
  kBlobs,
  kBlobRefs,
  kIngests,
  kLeases,
  kLeaseResources,
  kSnapshots,
  kSnapshotChildren,
  kContainers,
  kCount,
};

inline constexpr int kSchemaVersion = 1;

class Db;

// A read view; the base of WriteTxn, so helpers that only read take a `const Txn&`.
class Txn {
 public:
  Txn(Txn&& other) noexcept;
  Txn& operator=(Txn&&) = delete;
  virtual ~Txn();

  // The value stored at `key`, nullopt if there is none.
  absl::StatusOr<std::optional<std::string>> Get(Table table, std::string_view key) const;
  // Calls fn(key, value) for every key that starts with `prefix`, in key order, until fn returns false. The views
  // are valid only during the call.
  absl::Status Scan(Table table, std::string_view prefix,
                    const std::function<bool(std::string_view key, std::string_view value)>& fn) const;
  // Whether any key starts with `prefix`.
  absl::StatusOr<bool> HasPrefix(Table table, std::string_view prefix) const;

 protected:
  friend class Db;
  Txn(const Db* db, MDB_txn* txn) : db_(db), txn_(txn) {}
  unsigned Dbi(Table table) const;

  const Db* db_;
  MDB_txn* txn_;  // null once committed or aborted
};

class WriteTxn : public Txn {
 public:
  WriteTxn(WriteTxn&&) noexcept = default;
  ~WriteTxn() override = default;  // aborts unless committed

  absl::Status Put(Table table, std::string_view key, std::string_view value);
  // Returns whether the key existed.
  absl::StatusOr<bool> Delete(Table table, std::string_view key);
  // Deletes every key that starts with `prefix`.
  absl::Status DeletePrefix(Table table, std::string_view prefix);
  // Makes every change durable and visible; the transaction is over afterwards, whatever the result.
  absl::Status Commit();

 private:
  friend class Db;
  WriteTxn(const Db* db, MDB_txn* txn) : Txn(db, txn) {}
};

class Db {
 public:
  // Opens (creating if needed, mode 0700) <root>/metadata/ and checks the schema version: a database written by
  // a newer schema is FailedPrecondition rather than misread.
  static absl::StatusOr<std::unique_ptr<Db>> Open(const std::filesystem::path& root);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  absl::StatusOr<Txn> BeginRead() const;
  absl::StatusOr<WriteTxn> BeginWrite();

  // Runs fn in a read transaction.
  absl::Status View(const std::function<absl::Status(const Txn&)>& fn) const;
  // Runs fn in one write transaction and commits it if fn succeeds; otherwise nothing fn wrote is kept.
  absl::Status Update(const std::function<absl::Status(WriteTxn&)>& fn);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  friend class Txn;
  Db(MDB_env* env, std::filesystem::path dir) : env_(env), dir_(std::move(dir)) {}
  absl::Status OpenTables();

  MDB_env* env_;
  std::filesystem::path dir_;
  unsigned dbis_[static_cast<int>(Table::kCount)] = {};
};

// An LMDB return code as a Status naming the operation.
absl::Status LmdbStatus(int rc, std::string_view op);

}  // namespace berth::metadata
