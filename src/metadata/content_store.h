// metadata::ContentStore: content::Store with namespaces, labels and leases, around a backend content::Store
// (LocalStore) that knows none of them. As containerd's metadata/content.go with its "shared" policy:
//
// - A blob is stored once in the backend and visible per namespace through a record (ns, digest) holding its
//   size, labels and times. Every read (GetInfo, Walk, OpenReader, Update, Delete) sees the caller's namespace only.
// - Ingest refs are per namespace: (ns, ref) maps to the backend ref "<ns>/<ref>" (namespace names hold no '/',
//   so it is unambiguous). Ingest records keep the expected digest and the lease so every ingest is attributable.
// - OpenWriter expecting a digest this namespace has is AlreadyExists. If only another namespace has it, the
//   writer is "shared": it reports the blob as fully written and its Commit only adds this namespace's record
//   (bytes written anyway go to a real backend ingest and are verified).
// - Commit adds the record (labels validated), creates the namespace implicitly and, under a lease, records
//   {content, digest} on it; AlreadyExists if the namespace already had the digest.
// - Delete removes the record; when no namespace references the digest and no ingest expects it, the backend blob
//   goes too. A per-digest lock orders this against commits of the same digest, so a blob is never unlinked under
//   a record that a concurrent commit just added.
//
// No LMDB write transaction is held during data I/O: bytes go to the backend outside any transaction, and each
// metadata change is one short write transaction.
//
// Thread-safe. `db` must outlive the store and every Writer it returns.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/content/content.h"
#include "metadata/db.h"
#include "metadata/key_locks.h"

namespace berth::metadata {

class ContentStore : public content::Store {
 public:
  ContentStore(Db* db, std::shared_ptr<content::Store> backend);

  absl::StatusOr<content::Info> GetInfo(const Context& ctx, const Digest& digest) override;
  absl::StatusOr<content::Info> Update(const Context& ctx, const content::Info& info,
                                       const std::vector<std::string>& fieldpaths) override;
  // Filter fields: digest, size, labels.<key>.
  absl::Status Walk(const Context& ctx, const content::Filters& filters,
                    const std::function<absl::Status(const content::Info&)>& fn) override;
  absl::Status Delete(const Context& ctx, const Digest& digest) override;
  absl::StatusOr<std::unique_ptr<content::Reader>> OpenReader(const Context& ctx, const Digest& digest) override;

  absl::StatusOr<content::Status> GetStatus(const Context& ctx, const std::string& ref) override;
  // Filter field: ref. Sorted by ref.
  absl::StatusOr<std::vector<content::Status>> ListStatuses(const Context& ctx,
                                                            const content::Filters& filters) override;
  absl::Status Abort(const Context& ctx, const std::string& ref) override;
  // NotFound if ctx.lease names a lease that does not exist.
  absl::StatusOr<std::unique_ptr<content::Writer>> OpenWriter(const Context& ctx,
                                                              const content::WriterOptions& opts) override;

  // Called after every successful Delete, so garbage collection can follow what they released (the
  // blobs their labels referenced). Set before the store is shared.
  void set_on_delete(std::function<void()> fn) { on_delete_ = std::move(fn); }

  // For garbage collection (metadata/gc_collector.h): the backend, to list blobs and abort ingests, and the
  // release of one blob under its digest lock — deleted (true) only if no namespace references it and no ingest
  // expects it, so never under a record a concurrent commit is adding.
  content::Store& backend() const { return *shared_->backend; }
  absl::StatusOr<bool> ReleaseBlob(const Digest& digest);

  // The state writers share with the store (they may outlive a call, not the Db).
  struct Shared {
    Db* db;
    std::shared_ptr<content::Store> backend;
    KeyLocks digest_locks;
  };

 private:
  std::shared_ptr<Shared> shared_;
  std::function<void()> on_delete_;
};

// The backend ref of ingest `ref` in namespace `ns`.
std::string BackendRef(const std::string& ns, const std::string& ref);

// With `digest`'s lock held: deletes the backend blob if no namespace references it and no ingest expects it.
absl::Status ReleaseIfUnreferenced(ContentStore::Shared& shared, const Context& ctx, const Digest& digest);
// As ReleaseIfUnreferenced; true if the blob was deleted.
absl::StatusOr<bool> DeleteIfUnreferenced(ContentStore::Shared& shared, const Context& ctx, const Digest& digest);

}  // namespace berth::metadata
