#include "plugins/snapshots/storage/lmdb_env.h"

#include <lmdb.h>
#include <sys/stat.h>

#include <cerrno>

#include "base/close_on_exec.h"
#include "base/status.h"
#include "fmt/format.h"

namespace berth::snapshots::storage {
namespace {

// Address space, not memory: the file grows only as pages are written.
constexpr size_t kMapSize = size_t{1} << 36;  // 64 GiB
constexpr unsigned kMaxReaders = 510;

MDB_val Val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view View(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

absl::Status LmdbStatus(int rc, std::string_view op) {
  if (rc == MDB_SUCCESS) return absl::OkStatus();
  std::string msg = fmt::format("snapshot metastore: {}: {}", op, mdb_strerror(rc));
  switch (rc) {
    case MDB_MAP_FULL:
    case ENOSPC:
      return absl::ResourceExhaustedError(msg);
    case MDB_READERS_FULL:
      return absl::UnavailableError(msg);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
      return absl::DataLossError(msg);
    default:
      return absl::InternalError(msg);
  }
}

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

LmdbTxn::LmdbTxn(LmdbTxn&& other) noexcept : env_(other.env_), txn_(other.txn_) {
  other.txn_ = nullptr;
}

LmdbTxn::~LmdbTxn() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
}

unsigned LmdbTxn::Dbi(int table) const { return env_->dbis_[table]; }
const char* LmdbTxn::TableName(int table) const { return env_->tables_[table].c_str(); }

absl::StatusOr<std::optional<std::string>> LmdbTxn::Get(int table, std::string_view key) const {
  MDB_val k = Val(key);
  MDB_val v;
  int rc = mdb_get(txn_, Dbi(table), &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  if (rc != MDB_SUCCESS) return LmdbStatus(rc, fmt::format("get from {}", TableName(table)));
  return std::string(View(v));
}

absl::Status LmdbTxn::Scan(int table, std::string_view prefix,
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
  return LmdbStatus(rc, fmt::format("scan {}", TableName(table)));
}

absl::StatusOr<bool> LmdbTxn::HasPrefix(int table, std::string_view prefix) const {
  bool found = false;
  RETURN_IF_ERROR(Scan(table, prefix, [&](std::string_view, std::string_view) {
    found = true;
    return false;
  }));
  return found;
}

absl::Status LmdbWriteTxn::Put(int table, std::string_view key, std::string_view value) {
  MDB_val k = Val(key);
  MDB_val v = Val(value);
  return LmdbStatus(mdb_put(txn_, Dbi(table), &k, &v, 0),
                    fmt::format("put into {}", TableName(table)));
}

absl::StatusOr<bool> LmdbWriteTxn::Delete(int table, std::string_view key) {
  MDB_val k = Val(key);
  int rc = mdb_del(txn_, Dbi(table), &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  RETURN_IF_ERROR(LmdbStatus(rc, fmt::format("delete from {}", TableName(table))));
  return true;
}

absl::Status LmdbWriteTxn::Commit() {
  MDB_txn* txn = txn_;
  txn_ = nullptr;  // mdb_txn_commit frees the transaction even when it fails
  return LmdbStatus(mdb_txn_commit(txn), "commit");
}

absl::StatusOr<std::unique_ptr<LmdbEnv>> LmdbEnv::Open(const std::filesystem::path& dir,
                                                       std::vector<std::string> tables) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoStatus(errno, "mkdir", dir.string());
  MDB_env* raw = nullptr;
  RETURN_IF_ERROR(LmdbStatus(mdb_env_create(&raw), "create environment"));
  std::unique_ptr<LmdbEnv> env(new LmdbEnv(raw, dir, std::move(tables)));
  RETURN_IF_ERROR(LmdbStatus(mdb_env_set_mapsize(raw, kMapSize), "set map size"));
  RETURN_IF_ERROR(LmdbStatus(mdb_env_set_maxdbs(raw, env->tables_.size()), "set max dbs"));
  RETURN_IF_ERROR(LmdbStatus(mdb_env_set_maxreaders(raw, kMaxReaders), "set max readers"));
  RETURN_IF_ERROR(
      LmdbStatus(mdb_env_open(raw, dir.c_str(), MDB_NOTLS, 0600), fmt::format("open {}", dir.string())));
  // LMDB opens data.mdb without O_CLOEXEC: every shim and runc we spawn would inherit it (and lock.mdb, if an
  // LMDB build opens that one without it too).
  RETURN_IF_ERROR(WithContext(SetCloseOnExecForOpenFiles({dir / "data.mdb", dir / "lock.mdb"}),
                              fmt::format("open {}", dir.string())));
  // Reader slots of processes killed with -9 would otherwise stay taken and pin old pages.
  int dead = 0;
  RETURN_IF_ERROR(LmdbStatus(mdb_reader_check(raw, &dead), "check readers"));
  ASSIGN_OR_RETURN(LmdbWriteTxn txn, env->BeginWrite());
  env->dbis_.resize(env->tables_.size());
  for (size_t i = 0; i < env->tables_.size(); ++i) {
    MDB_dbi dbi = 0;
    RETURN_IF_ERROR(LmdbStatus(mdb_dbi_open(txn.txn_, env->tables_[i].c_str(), MDB_CREATE, &dbi),
                               fmt::format("open table {}", env->tables_[i])));
    env->dbis_[i] = dbi;
  }
  RETURN_IF_ERROR(txn.Commit());
  return env;
}

LmdbEnv::~LmdbEnv() {
  if (env_ != nullptr) mdb_env_close(env_);
}

absl::StatusOr<LmdbTxn> LmdbEnv::BeginRead() const {
  MDB_txn* txn = nullptr;
  RETURN_IF_ERROR(LmdbStatus(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "begin read transaction"));
  return LmdbTxn(this, txn);
}

absl::StatusOr<LmdbWriteTxn> LmdbEnv::BeginWrite() {
  MDB_txn* txn = nullptr;
  RETURN_IF_ERROR(LmdbStatus(mdb_txn_begin(env_, nullptr, 0, &txn), "begin write transaction"));
  return LmdbWriteTxn(this, txn);
}

}  // namespace berth::snapshots::storage
