#include "metadata/db.h"

#include <lmdb.h>
#include <sys/stat.h>

#include <cerrno>
#include <system_error>
#include <vector>

#include "base/close_on_exec.h"
#include "base/status.h"
#include "fmt/format.h"

namespace berth::metadata {

namespace {

// A sparse reservation of address space, not memory: the file grows only as pages are written.
constexpr size_t kMapSize = size_t{1} << 40;  // 1 TiB
constexpr unsigned kMaxReaders = 510;

constexpr const char* kTableNames[] = {
    "meta", "namespaces", "images", "blobs", "blob_refs", "ingests", "leases", "lease_resources",
    "snapshots", "snapshot_children", "containers",
};
static_assert(std::size(kTableNames) == static_cast<size_t>(Table::kCount));

constexpr std::string_view kVersionKey = "version";

MDB_val Val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view View(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

// Closes a cursor on every path out of a scan.
class Cursor {
 public:
  Cursor(MDB_txn* txn, MDB_dbi dbi) { rc_ = mdb_cursor_open(txn, dbi, &cursor_); }
  ~Cursor() {
    if (cursor_ != nullptr) mdb_cursor_close(cursor_);
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  int open_rc() const { return rc_; }
  MDB_cursor* get() const { return cursor_; }

 private:
  MDB_cursor* cursor_ = nullptr;
  int rc_ = 0;
};

}  // namespace

absl::Status LmdbStatus(int rc, std::string_view op) {
  if (rc == MDB_SUCCESS) return absl::OkStatus();
  std::string msg = fmt::format("metadata: {}: {}", op, mdb_strerror(rc));
  switch (rc) {
    case MDB_MAP_FULL:
    case ENOSPC:
      return absl::ResourceExhaustedError(msg);
    case MDB_READERS_FULL:
      return absl::UnavailableError(msg);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
      return absl::DataLossError(msg);
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID:
      return absl::FailedPreconditionError(msg);
    default:
      return absl::InternalError(msg);
  }
}

Txn::Txn(Txn&& other) noexcept : db_(other.db_), txn_(other.txn_) { other.txn_ = nullptr; }

Txn::~Txn() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
}

unsigned Txn::Dbi(Table table) const { return db_->dbis_[static_cast<int>(table)]; }

absl::StatusOr<std::optional<std::string>> Txn::Get(Table table, std::string_view key) const {
  MDB_val k = Val(key);
  MDB_val v;
  int rc = mdb_get(txn_, Dbi(table), &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, fmt::format("get from {}", kTableNames[static_cast<int>(table)]));
  return std::string(View(v));
}

absl::Status Txn::Scan(Table table, std::string_view prefix,
                       const std::function<bool(std::string_view, std::string_view)>& fn) const {
  Cursor cursor(txn_, Dbi(table));
  RETURN_IF_ERROR(LmdbStatus(cursor.open_rc(), "open cursor"));
  MDB_val k = Val(prefix);
  MDB_val v;
  int rc = mdb_cursor_get(cursor.get(), &k, &v, prefix.empty() ? MDB_FIRST : MDB_SET_RANGE);
  while (rc == MDB_SUCCESS) {
    std::string_view key = View(k);
    if (!key.starts_with(prefix)) return absl::OkStatus();
    if (!fn(key, View(v))) return absl::OkStatus();
    rc = mdb_cursor_get(cursor.get(), &k, &v, MDB_NEXT);
  }
  if (rc == MDB_NOTFOUND) return absl::OkStatus();
  return LmdbStatus(rc, fmt::format("scan {}", kTableNames[static_cast<int>(table)]));
}

absl::StatusOr<bool> Txn::HasPrefix(Table table, std::string_view prefix) const {
  bool found = false;
  RETURN_IF_ERROR(Scan(table, prefix, [&](std::string_view, std::string_view) {
    found = true;
    return false;
  }));
  return found;
}

absl::Status WriteTxn::Put(Table table, std::string_view key, std::string_view value) {
  MDB_val k = Val(key);
  MDB_val v = Val(value);
  return LmdbStatus(mdb_put(txn_, Dbi(table), &k, &v, 0),
                    fmt::format("put into {}", kTableNames[static_cast<int>(table)]));
}

absl::StatusOr<bool> WriteTxn::Delete(Table table, std::string_view key) {
  MDB_val k = Val(key);
  int rc = mdb_del(txn_, Dbi(table), &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  RETURN_IF_ERROR(LmdbStatus(rc, fmt::format("delete from {}", kTableNames[static_cast<int>(table)])));
  return true;
}

absl::Status WriteTxn::DeletePrefix(Table table, std::string_view prefix) {
  // Collect first, then delete: LMDB's cursor position after mdb_cursor_del at the end of a page is not a
  // reliable "next item", and the ranges deleted here are small (one object's children).
  std::vector<std::string> keys;
  RETURN_IF_ERROR(Scan(table, prefix, [&](std::string_view key, std::string_view) {
    keys.emplace_back(key);
    return true;
  }));
  for (const std::string& key : keys) {
    RETURN_IF_ERROR(Delete(table, key).status());
  }
  return absl::OkStatus();
}

absl::Status WriteTxn::Commit() {
  MDB_txn* txn = txn_;
  txn_ = nullptr;  // mdb_txn_commit frees the transaction even when it fails
  return LmdbStatus(mdb_txn_commit(txn), "commit");
}

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const std::filesystem::path& root) {
  std::filesystem::path dir = root / "metadata";
  for (const auto& d : {root, dir}) {
    if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoStatus(errno, "mkdir", d.string());
  }
  MDB_env* env = nullptr;
  RETURN_IF_ERROR(LmdbStatus(mdb_env_create(&env), "create environment"));
  std::unique_ptr<Db> db(new Db(env, dir));
  RETURN_IF_ERROR(LmdbStatus(mdb_env_set_mapsize(env, kMapSize), "set map size"));
  RETURN_IF_ERROR(LmdbStatus(mdb_env_set_maxdbs(env, static_cast<MDB_dbi>(Table::kCount)), "set max dbs"));
  RETURN_IF_ERROR(LmdbStatus(mdb_env_set_maxreaders(env, kMaxReaders), "set max readers"));
  RETURN_IF_ERROR(LmdbStatus(mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0600), fmt::format("open {}", dir.string())));
  // LMDB opens data.mdb without O_CLOEXEC: every shim and runc we spawn would inherit it (and lock.mdb, if an
  // LMDB build opens that one without it too).
  RETURN_IF_ERROR(WithContext(SetCloseOnExecForOpenFiles({dir / "data.mdb", dir / "lock.mdb"}),
                              fmt::format("open {}", dir.string())));
  // Reader slots of processes that died (kill -9) would otherwise stay taken and pin old pages.
  int dead = 0;
  RETURN_IF_ERROR(LmdbStatus(mdb_reader_check(env, &dead), "check readers"));
  RETURN_IF_ERROR(db->OpenTables());
  return db;
}

Db::~Db() {
  if (env_ != nullptr) mdb_env_close(env_);
}

absl::Status Db::OpenTables() {
  MDB_txn* raw = nullptr;
  RETURN_IF_ERROR(LmdbStatus(mdb_txn_begin(env_, nullptr, 0, &raw), "begin write transaction"));
  WriteTxn txn(this, raw);
  for (int i = 0; i < static_cast<int>(Table::kCount); ++i) {
    RETURN_IF_ERROR(LmdbStatus(mdb_dbi_open(raw, kTableNames[i], MDB_CREATE, &dbis_[i]),
                               fmt::format("open table {}", kTableNames[i])));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> version, txn.Get(Table::kMeta, kVersionKey));
  if (!version.has_value()) {
    RETURN_IF_ERROR(txn.Put(Table::kMeta, kVersionKey, std::to_string(kSchemaVersion)));
  } else if (*version != std::to_string(kSchemaVersion)) {
    // Migrations from older versions go here when there is a version 2.
    return absl::FailedPreconditionError(
        fmt::format("metadata {}: schema version {} is not supported by this berthd (it knows version {})",
                    dir_.string(), *version, kSchemaVersion));
  }
  return txn.Commit();
}

absl::StatusOr<Txn> Db::BeginRead() const {
  MDB_txn* txn = nullptr;
  RETURN_IF_ERROR(LmdbStatus(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "begin read transaction"));
  return Txn(this, txn);
}

absl::StatusOr<WriteTxn> Db::BeginWrite() {
  MDB_txn* txn = nullptr;
  RETURN_IF_ERROR(LmdbStatus(mdb_txn_begin(env_, nullptr, 0, &txn), "begin write transaction"));
  return WriteTxn(this, txn);
}

absl::Status Db::View(const std::function<absl::Status(const Txn&)>& fn) const {
  ASSIGN_OR_RETURN(Txn txn, BeginRead());
  return fn(txn);
}

absl::Status Db::Update(const std::function<absl::Status(WriteTxn&)>& fn) {
  ASSIGN_OR_RETURN(WriteTxn txn, BeginWrite());
  RETURN_IF_ERROR(fn(txn));
  return txn.Commit();
}

}  // namespace berth::metadata
