// LocalStore's Writer: appends to ingest/<hash of ref>/data with pwrite and keeps a running
// SHA-256.
//
// Invariant: the data file, status().offset and the running hash always describe the same bytes. A
// failed Write is undone (the file is truncated back), so a client can retry it; a crash can leave
// extra bytes that no client was told about, and resuming simply counts and hashes them.
//
// A writer is used by one thread at a time; distinct writers run in parallel without shared locks.
#pragma once

#include <memory>
#include <string>

#include "core/content/content.h"
#include "digest/digest.h"
#include "plugins/content/local/ref_locks.h"
#include "plugins/content/local/store_state.h"

namespace berth::content {

class LocalWriter final : public Writer {
 public:
  // Starts the ingest of `opts.ref`, or resumes it from disk (re-reading the data to rebuild the
  // hash). `lock` holds the ref; the writer keeps it until Commit succeeds or the writer is
  // destroyed.
  static absl::StatusOr<std::unique_ptr<LocalWriter>> Open(std::shared_ptr<StoreState> state,
                                                           RefLocks::Lock lock,
                                                           const WriterOptions& opts);

  // Records the time of the last write as the data file's mtime, so a resumed ingest reports the same
  // updated_at as before (the kernel's own mtime is coarser than the clock clients compare it with).
  ~LocalWriter() override;

  absl::Status Write(std::string_view data) override;
  absl::Status Truncate() override;
  Digest RunningDigest() const override { return hash_.Peek(); }
  Status GetStatus() const override { return status_; }
  // After success or AlreadyExists the writer is spent: its ref is unlocked and further calls fail.
  // After any other error the ingest is intact and the writer usable (e.g. to write the missing
  // bytes).
  absl::Status Commit(const CommitOptions& opts) override;

 private:
  LocalWriter(std::shared_ptr<StoreState> state, RefLocks::Lock lock, std::string dir, File data,
              Status status, Sha256 hash);

  absl::Status CheckOpen() const;
  // Commit's tail once the blob is in place (or already was): drop the ingest and unlock.
  void Finish();
  absl::Status Publish(const Digest& digest);
  void MaybeStartWriteback();

  std::shared_ptr<StoreState> state_;
  RefLocks::Lock lock_;
  std::string dir_;
  File data_;
  Status status_;
  Sha256 hash_;
  int64_t writeback_from_ = 0;  // start of the bytes not yet handed to StartWriteback
  bool done_ = false;
};

}  // namespace berth::content
