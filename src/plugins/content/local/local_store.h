// LocalStore: the content store on the local disk (containerd's content/local), below the metadata
// store.
//
// It knows blobs and ingests only: the request context (namespace, lease) is ignored, labels are
// not kept (Update is Unimplemented; metadata::ContentStore keeps them) and refs are used as given
// (the metadata store prefixes them with the namespace). The on-disk layout is documented in
// ingest.h.
//
// Guarantees:
// - A blob under blobs/ has been fully written, fsynced and verified against its digest before its
// rename made it
//   visible, and the rename has been fsynced before Commit returns OK.
// - Ingests survive restarts: OpenWriter with the same ref resumes at the size of the data file.
// - One writer per ref: OpenWriter (and Abort) on a ref held by a live Writer is Unavailable ("ref
// <ref> locked").
//   The ref is released when that Writer commits or is destroyed. Only this process may use the
//   root.
// Thread-safe. Writers and readers may outlive the store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/content/content.h"
#include "plugins/content/local/fs.h"
#include "plugins/content/local/store_state.h"

namespace berth::content {

struct LocalStoreOptions {
  // The file system; null means the real one. Tests pass a fault-injecting one.
  std::shared_ptr<Fs> fs;
  // A writer asks the kernel to start writing back every this many bytes, so the fsync at commit is
  // short and a large ingest does not pile up dirty pages. 0 disables.
  int64_t writeback_bytes = 8 << 20;
};

class LocalStore final : public Store {
 public:
  // Creates the layout under `root` if missing (directories 0700) and removes debris of a crash:
  // ingest directories that never finished starting or whose commit was cut short, and stray *.tmp
  // files.
  static absl::StatusOr<std::unique_ptr<LocalStore>> Open(std::string root,
                                                          LocalStoreOptions opts = {});

  const std::string& root() const { return state_->layout.root(); }
  // Read-only accessors of the layout, for disk accounting and verification (berth df/fsck).
  std::string BlobPath(const Digest& digest) const { return state_->layout.BlobPath(digest); }
  std::string BlobsDir() const { return state_->layout.BlobsDir(); }
  std::string IngestsDir() const { return state_->layout.IngestsDir(); }
  std::string IngestDir(std::string_view backend_ref) const { return state_->layout.IngestDir(backend_ref); }

  absl::StatusOr<Info> GetInfo(const Context& ctx, const Digest& digest) override;
  // Unimplemented: labels are kept by the metadata store.
  absl::StatusOr<Info> Update(const Context& ctx, const Info& info,
                              const std::vector<std::string>& fieldpaths) override;
  // Filters: only digest==, digest!= and digest~= (see field_filter.h); others are InvalidArgument.
  absl::Status Walk(const Context& ctx, const Filters& filters,
                    const std::function<absl::Status(const Info&)>& fn) override;
  absl::Status Delete(const Context& ctx, const Digest& digest) override;
  absl::StatusOr<std::unique_ptr<Reader>> OpenReader(const Context& ctx,
                                                     const Digest& digest) override;

  absl::StatusOr<Status> GetStatus(const Context& ctx, const std::string& ref) override;
  // Filters: only ref==, ref!= and ref~=.
  absl::StatusOr<std::vector<Status>> ListStatuses(const Context& ctx,
                                                   const Filters& filters) override;
  absl::Status Abort(const Context& ctx, const std::string& ref) override;
  absl::StatusOr<std::unique_ptr<Writer>> OpenWriter(const Context& ctx,
                                                     const WriterOptions& opts) override;

 private:
  explicit LocalStore(std::shared_ptr<StoreState> state) : state_(std::move(state)) {}

  absl::Status SweepIngests();
  absl::StatusOr<Info> BlobInfo(const Digest& digest);

  std::shared_ptr<StoreState> state_;
};

}  // namespace berth::content
