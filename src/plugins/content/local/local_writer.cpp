#include "plugins/content/local/local_writer.h"

#include <fcntl.h>

#include <vector>

#include "base/scope_guard.h"
#include "base/status.h"

namespace berth::content {
namespace {

constexpr mode_t kDirMode = 0700;
constexpr mode_t kDataMode = 0644;
constexpr mode_t kBlobMode = 0444;
constexpr size_t kResumeBufferBytes = 1 << 20;

// Hashes the whole data file; its length is the resumed offset (whatever a crash left is counted,
// not guessed).
absl::StatusOr<int64_t> HashFile(Fs& fs, const File& f, Sha256& hash) {
  std::vector<char> buf(kResumeBufferBytes);
  int64_t offset = 0;
  while (true) {
    ASSIGN_OR_RETURN(size_t n, fs.PRead(f, buf, offset));
    if (n == 0) return offset;
    hash.Update(buf.data(), n);
    offset += static_cast<int64_t>(n);
  }
}

// Starts an ingest from nothing: debris of an older one under the same directory is cleared first.
// The meta file is written last, so a directory without it is known to be an incomplete start.
absl::StatusOr<File> CreateIngest(Fs& fs, const std::string& dir, const IngestMeta& meta) {
  if (absl::Status s = RemoveAll(fs, dir); !s.ok() && !absl::IsNotFound(s)) return s;
  RETURN_IF_ERROR(fs.Mkdir(dir, kDirMode));
  ScopeGuard cleanup(
      [&] { IgnoreError(RemoveAll(fs, dir), "already failing; Open sweeps debris"); });
  ASSIGN_OR_RETURN(File data,
                   fs.Open(Layout::DataPath(dir), O_RDWR | O_CREAT | O_TRUNC, kDataMode));
  RETURN_IF_ERROR(WriteFileAtomic(fs, Layout::MetaPath(dir), EncodeIngestMeta(meta), kDataMode));
  cleanup.Dismiss();
  return data;
}

// A resumed ingest keeps what it was started with; a caller may add a total or digest it did not
// know then.
absl::StatusOr<bool> MergeResumeOptions(IngestMeta& meta, const WriterOptions& opts) {
  bool changed = false;
  if (opts.total > 0) {
    if (meta.total > 0 && meta.total != opts.total) {
      return absl::FailedPreconditionError(
          fmt::format("ingest ref {} was started with total {}, not {}: abort it to start over",
                      meta.ref, meta.total, opts.total));
    }
    changed |= meta.total != opts.total;
    meta.total = opts.total;
  }
  if (opts.expected) {
    if (meta.expected && *meta.expected != *opts.expected) {
      return absl::FailedPreconditionError(
          fmt::format("ingest ref {} was started expecting {}, not {}: abort it to start over",
                      meta.ref, meta.expected->str(), opts.expected->str()));
    }
    changed |= !meta.expected;
    meta.expected = opts.expected;
  }
  return changed;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LocalWriter>> LocalWriter::Open(std::shared_ptr<StoreState> state,
                                                               RefLocks::Lock lock,
                                                               const WriterOptions& opts) {
  Fs& fs = *state->fs;
  std::string dir = state->layout.IngestDir(opts.ref);
  absl::StatusOr<IngestMeta> old = ReadIngestMeta(fs, dir);
  if (!old.ok() && !absl::IsNotFound(old.status()) && !absl::IsInvalidArgument(old.status())) {
    return old.status();
  }
  if (old.ok() && old->ref == opts.ref) {
    absl::StatusOr<File> data = fs.Open(Layout::DataPath(dir), O_RDWR);
    if (data.ok()) {
      ASSIGN_OR_RETURN(bool changed, MergeResumeOptions(*old, opts));
      if (changed) {
        RETURN_IF_ERROR(
            WriteFileAtomic(fs, Layout::MetaPath(dir), EncodeIngestMeta(*old), kDataMode));
      }
      Sha256 hash;
      ASSIGN_OR_RETURN(int64_t offset, HashFile(fs, *data, hash));
      ASSIGN_OR_RETURN(struct stat st, fs.Fstat(*data));
      Status status{.ref = opts.ref,
                    .offset = offset,
                    .total = old->total,
                    .expected = old->expected,
                    .started_at = old->started_at,
                    .updated_at = absl::TimeFromTimespec(st.st_mtim)};
      auto w = std::unique_ptr<LocalWriter>(new LocalWriter(std::move(state), std::move(lock),
                                                            std::move(dir), std::move(*data),
                                                            std::move(status), std::move(hash)));
      w->writeback_from_ = offset;
      return w;
    }
    if (!absl::IsNotFound(data.status())) return data.status();
    // Meta without data: the remains of a commit that crashed before removing the directory.
  }

  IngestMeta meta{
      .ref = opts.ref, .total = opts.total, .expected = opts.expected, .started_at = absl::Now()};
  ASSIGN_OR_RETURN(File data, CreateIngest(fs, dir, meta));
  Status status{.ref = opts.ref,
                .offset = 0,
                .total = meta.total,
                .expected = meta.expected,
                .started_at = meta.started_at,
                .updated_at = meta.started_at};
  return std::unique_ptr<LocalWriter>(new LocalWriter(std::move(state), std::move(lock),
                                                      std::move(dir), std::move(data),
                                                      std::move(status), Sha256()));
}

LocalWriter::LocalWriter(std::shared_ptr<StoreState> state, RefLocks::Lock lock, std::string dir,
                         File data, Status status, Sha256 hash)
    : state_(std::move(state)),
      lock_(std::move(lock)),
      dir_(std::move(dir)),
      data_(std::move(data)),
      status_(std::move(status)),
      hash_(std::move(hash)) {}

absl::Status LocalWriter::CheckOpen() const {
  if (done_) {
    return absl::FailedPreconditionError(
        fmt::format("ingest ref {} is already committed: open a new writer", status_.ref));
  }
  return absl::OkStatus();
}

LocalWriter::~LocalWriter() {
  if (done_) return;
  IgnoreError(state_->fs->SetTimes(data_, status_.updated_at), "only the reported updated_at is at stake");
}

absl::Status LocalWriter::Write(std::string_view data) {
  RETURN_IF_ERROR(CheckOpen());
  Fs& fs = *state_->fs;
  const int64_t start = status_.offset;
  size_t written = 0;
  while (written < data.size()) {
    absl::StatusOr<size_t> n =
        fs.PWrite(data_, data.substr(written), start + static_cast<int64_t>(written));
    if (n.ok() && *n == 0)
      n = absl::InternalError(fmt::format("write {}: wrote nothing", data_.path()));
    if (!n.ok()) {
      std::string context = fmt::format("write ref {} at offset {}", status_.ref, start);
      if (fs.Truncate(data_, start).ok()) return WithContext(n.status(), context);
      // Could not undo: account for the bytes that did land, so offset and hash still match the
      // file.
      hash_.Update(data.substr(0, written));
      status_.offset = start + static_cast<int64_t>(written);
      status_.updated_at = absl::Now();
      return WithContext(n.status(), context);
    }
    written += *n;
  }
  hash_.Update(data);
  status_.offset = start + static_cast<int64_t>(data.size());
  status_.updated_at = absl::Now();
  MaybeStartWriteback();
  return absl::OkStatus();
}

void LocalWriter::MaybeStartWriteback() {
  const int64_t pending = status_.offset - writeback_from_;
  if (state_->writeback_bytes <= 0 || pending < state_->writeback_bytes) return;
  IgnoreError(state_->fs->StartWriteback(data_, writeback_from_, pending),
              "advisory: commit's fsync writes whatever is left");
  writeback_from_ = status_.offset;
}

absl::Status LocalWriter::Truncate() {
  RETURN_IF_ERROR(CheckOpen());
  RETURN_IF_ERROR(
      WithContext(state_->fs->Truncate(data_, 0), fmt::format("truncate ref {}", status_.ref)));
  hash_.Reset();
  status_.offset = 0;
  status_.updated_at = absl::Now();
  writeback_from_ = 0;
  return absl::OkStatus();
}

absl::Status LocalWriter::Commit(const CommitOptions& opts) {
  RETURN_IF_ERROR(CheckOpen());
  if (opts.size != 0 && opts.size != status_.offset) {
    return absl::FailedPreconditionError(
        fmt::format("unexpected commit size {}, expected {}", status_.offset, opts.size));
  }
  Digest digest = hash_.Peek();
  if (opts.expected && *opts.expected != digest) {
    return absl::FailedPreconditionError(fmt::format("unexpected commit digest {}, expected {}",
                                                     digest.str(), opts.expected->str()));
  }
  return WithContext(Publish(digest), fmt::format("commit ref {}", status_.ref));
}

absl::Status LocalWriter::Publish(const Digest& digest) {
  Fs& fs = *state_->fs;
  const std::string blob = state_->layout.BlobPath(digest);
  const std::string data_path = Layout::DataPath(dir_);
  auto already_exists = [&] {
    Finish();
    return absl::AlreadyExistsError(fmt::format("content {}: already exists", digest.str()));
  };

  absl::StatusOr<struct stat> existing = fs.Stat(blob);
  if (existing.ok()) return already_exists();
  if (!absl::IsNotFound(existing.status())) return existing.status();

  RETURN_IF_ERROR(fs.Fsync(data_));
  // Read-only before it becomes visible; put back if the blob does not get published, so the ingest
  // can resume.
  RETURN_IF_ERROR(fs.Fchmod(data_, kBlobMode));
  ScopeGuard restore_mode([&] {
    IgnoreError(fs.Fchmod(data_, kDataMode), "already failing; the writer's fd stays writable");
  });
  IgnoreError(fs.SetTimes(data_, absl::Now()),
              "created_at then shows the last write instead of the commit");

  if (absl::Status s = fs.Rename(data_path, blob, RenameMode::kNoReplace); !s.ok()) {
    if (absl::IsAlreadyExists(s)) {  // a writer of another ref committed the same bytes first
      restore_mode.Dismiss();
      return already_exists();
    }
    return s;
  }
  if (absl::Status s = SyncDir(fs, state_->layout.BlobsDir()); !s.ok()) {
    // The rename may not survive a crash, so the commit has not happened: take the blob back into
    // the ingest.
    if (fs.Rename(blob, data_path, RenameMode::kNoReplace).ok()) return s;
    restore_mode.Dismiss();
    Finish();
    return WithContext(s, fmt::format("{} is visible but may not be durable", digest.str()));
  }
  restore_mode.Dismiss();
  Finish();
  return absl::OkStatus();
}

void LocalWriter::Finish() {
  done_ = true;
  data_ = File();
  IgnoreError(RemoveAll(*state_->fs, dir_), "the blob is committed; Open sweeps ingest debris");
  lock_.Release();
}

}  // namespace berth::content
