#include "plugins/content/local/local_store.h"

#include <fcntl.h>

#include "base/status.h"
#include "plugins/content/local/field_filter.h"
#include "plugins/content/local/local_writer.h"

namespace berth::content {
namespace {

constexpr mode_t kDirMode = 0700;

class LocalReader final : public Reader {
 public:
  LocalReader(std::shared_ptr<Fs> fs, File file, int64_t size)
      : fs_(std::move(fs)), file_(std::move(file)), size_(size) {}

  int64_t Size() const override { return size_; }

  absl::StatusOr<size_t> ReadAt(int64_t offset, std::span<char> buf) override {
    if (offset < 0) {
      return absl::InvalidArgumentError(
          fmt::format("read {} at negative offset {}", file_.path(), offset));
    }
    size_t got = 0;
    while (got < buf.size()) {
      ASSIGN_OR_RETURN(size_t n,
                       fs_->PRead(file_, buf.subspan(got), offset + static_cast<int64_t>(got)));
      if (n == 0) break;
      got += n;
    }
    return got;
  }

 private:
  std::shared_ptr<Fs> fs_;
  File file_;
  int64_t size_;
};

absl::Status NotFoundBlob(const Digest& digest) {
  return absl::NotFoundError(fmt::format("content {}: not found", digest.str()));
}

absl::Status NotFoundIngest(const std::string& ref) {
  return absl::NotFoundError(fmt::format("ingest ref {}: not found", ref));
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// mkdir -p, with `mode` for the directories it creates.
absl::Status MkdirAll(Fs& fs, const std::string& path, mode_t mode) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    RETURN_IF_ERROR(MkdirIfMissing(fs, path.substr(0, slash), mode));
  }
  return MkdirIfMissing(fs, path, mode);
}

}  // namespace

absl::StatusOr<std::unique_ptr<LocalStore>> LocalStore::Open(std::string root,
                                                             LocalStoreOptions opts) {
  if (root.empty()) return absl::InvalidArgumentError("content store root must not be empty");
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  std::shared_ptr<Fs> fs = opts.fs ? std::move(opts.fs) : NewRealFs();
  auto state =
      std::make_shared<StoreState>(Layout(std::move(root)), std::move(fs), opts.writeback_bytes);
  const Layout& layout = state->layout;
  std::string context = fmt::format("open content store {}", layout.root());
  RETURN_IF_ERROR(WithContext(MkdirAll(*state->fs, layout.BlobsDir(), kDirMode), context));
  RETURN_IF_ERROR(WithContext(MkdirIfMissing(*state->fs, layout.IngestsDir(), kDirMode), context));
  auto store = std::unique_ptr<LocalStore>(new LocalStore(std::move(state)));
  RETURN_IF_ERROR(WithContext(store->SweepIngests(), context));
  return store;
}

absl::Status LocalStore::SweepIngests() {
  Fs& fs = *state_->fs;
  const Layout& layout = state_->layout;
  ASSIGN_OR_RETURN(std::vector<std::string> names, fs.ListDir(layout.IngestsDir()));
  for (const std::string& name : names) {
    std::string dir = JoinPath(layout.IngestsDir(), name);
    ASSIGN_OR_RETURN(struct stat st, fs.Stat(dir));
    bool debris = !S_ISDIR(st.st_mode);
    if (!debris) {
      ASSIGN_OR_RETURN(std::vector<std::string> files, fs.ListDir(dir));
      for (const std::string& file : files) {
        if (EndsWith(file, ".tmp")) RETURN_IF_ERROR(fs.Unlink(JoinPath(dir, file)));
      }
      absl::StatusOr<Status> status = ReadIngestStatus(fs, dir);
      if (!status.ok() && !absl::IsNotFound(status.status()) &&
          !absl::IsInvalidArgument(status.status())) {
        return status.status();
      }
      debris = !status.ok();
    }
    if (debris) RETURN_IF_ERROR(RemoveAll(fs, dir));
  }
  return absl::OkStatus();
}

absl::StatusOr<Info> LocalStore::BlobInfo(const Digest& digest) {
  absl::StatusOr<struct stat> st = state_->fs->Stat(state_->layout.BlobPath(digest));
  if (absl::IsNotFound(st.status())) return NotFoundBlob(digest);
  if (!st.ok()) return st.status();
  if (!S_ISREG(st->st_mode)) {
    return absl::DataLossError(fmt::format("content {}: {} is not a regular file", digest.str(),
                                           state_->layout.BlobPath(digest)));
  }
  // Labels and updates are the metadata store's; on disk a blob only has its commit time.
  absl::Time committed = absl::TimeFromTimespec(st->st_mtim);
  return Info{.digest = digest,
              .size = static_cast<int64_t>(st->st_size),
              .created_at = committed,
              .updated_at = committed,
              .labels = {}};
}

absl::StatusOr<Info> LocalStore::GetInfo(const Context&, const Digest& digest) {
  return BlobInfo(digest);
}

absl::StatusOr<Info> LocalStore::Update(const Context&, const Info& info,
                                        const std::vector<std::string>&) {
  return absl::UnimplementedError(
      fmt::format("update content {}: labels are kept by the metadata store", info.digest.str()));
}

absl::Status LocalStore::Walk(const Context&, const Filters& filters,
                              const std::function<absl::Status(const Info&)>& fn) {
  ASSIGN_OR_RETURN(FieldFilter filter, FieldFilter::Parse(filters, "digest"));
  ASSIGN_OR_RETURN(std::vector<std::string> names, state_->fs->ListDir(state_->layout.BlobsDir()));
  for (const std::string& name : names) {
    absl::StatusOr<Digest> digest = Digest::Parse(fmt::format("{}:{}", Digest::kAlgorithm, name));
    if (!digest.ok()) continue;  // not a blob name: nothing of ours, leave it alone
    if (!filter.Match(digest->str())) continue;
    absl::StatusOr<Info> info = BlobInfo(*digest);
    if (absl::IsNotFound(info.status())) continue;  // deleted while walking
    if (!info.ok()) return info.status();
    RETURN_IF_ERROR(fn(*info));
  }
  return absl::OkStatus();
}

absl::Status LocalStore::Delete(const Context&, const Digest& digest) {
  absl::Status s = state_->fs->Unlink(state_->layout.BlobPath(digest));
  if (absl::IsNotFound(s)) return NotFoundBlob(digest);
  return WithContext(s, fmt::format("delete content {}", digest.str()));
}

absl::StatusOr<std::unique_ptr<Reader>> LocalStore::OpenReader(const Context&,
                                                               const Digest& digest) {
  absl::StatusOr<File> file = state_->fs->Open(state_->layout.BlobPath(digest), O_RDONLY);
  if (absl::IsNotFound(file.status())) return NotFoundBlob(digest);
  if (!file.ok()) return file.status();
  ASSIGN_OR_RETURN(struct stat st, state_->fs->Fstat(*file));
  return std::make_unique<LocalReader>(state_->fs, std::move(*file),
                                       static_cast<int64_t>(st.st_size));
}

absl::StatusOr<Status> LocalStore::GetStatus(const Context&, const std::string& ref) {
  absl::StatusOr<Status> status = ReadIngestStatus(*state_->fs, state_->layout.IngestDir(ref));
  if (absl::IsNotFound(status.status()) || absl::IsInvalidArgument(status.status())) {
    return NotFoundIngest(ref);
  }
  return status;
}

absl::StatusOr<std::vector<Status>> LocalStore::ListStatuses(const Context&,
                                                             const Filters& filters) {
  ASSIGN_OR_RETURN(FieldFilter filter, FieldFilter::Parse(filters, "ref"));
  Fs& fs = *state_->fs;
  ASSIGN_OR_RETURN(std::vector<std::string> names, fs.ListDir(state_->layout.IngestsDir()));
  std::vector<Status> out;
  for (const std::string& name : names) {
    absl::StatusOr<Status> status =
        ReadIngestStatus(fs, JoinPath(state_->layout.IngestsDir(), name));
    // Ingests starting, committing or aborting right now are skipped, as are crash debris.
    if (absl::IsNotFound(status.status()) || absl::IsInvalidArgument(status.status())) continue;
    if (!status.ok()) return status.status();
    if (filter.Match(status->ref)) out.push_back(*std::move(status));
  }
  return out;
}

absl::Status LocalStore::Abort(const Context&, const std::string& ref) {
  ASSIGN_OR_RETURN(RefLocks::Lock lock, state_->locks.TryLock(ref));
  absl::Status s = RemoveAll(*state_->fs, state_->layout.IngestDir(ref));
  if (absl::IsNotFound(s)) return NotFoundIngest(ref);
  return WithContext(s, fmt::format("abort ingest ref {}", ref));
}

absl::StatusOr<std::unique_ptr<Writer>> LocalStore::OpenWriter(const Context&,
                                                               const WriterOptions& opts) {
  if (opts.ref.empty()) return absl::InvalidArgumentError("open writer: ref must not be empty");
  ASSIGN_OR_RETURN(RefLocks::Lock lock, state_->locks.TryLock(opts.ref));
  if (opts.expected) {
    absl::StatusOr<struct stat> st = state_->fs->Stat(state_->layout.BlobPath(*opts.expected));
    if (st.ok())
      return absl::AlreadyExistsError(
          fmt::format("content {}: already exists", opts.expected->str()));
    if (!absl::IsNotFound(st.status())) return st.status();
  }
  absl::StatusOr<std::unique_ptr<LocalWriter>> w = LocalWriter::Open(state_, std::move(lock), opts);
  if (!w.ok()) return WithContext(w.status(), fmt::format("open writer for ref {}", opts.ref));
  return std::unique_ptr<Writer>(std::move(*w));
}

}  // namespace berth::content
