// The Writer that metadata::ContentStore returns: a backend writer (or, for a shared blob, none yet) plus the
// namespace, ref and lease the commit records. Internal to berth_metadata.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "metadata/content_store.h"

namespace berth::metadata {

class NamespacedWriter : public content::Writer {
 public:
  // `backend` is null for a shared writer: the blob `shared_digest` (of `shared_size` bytes) is already stored.
  NamespacedWriter(std::shared_ptr<ContentStore::Shared> shared, Context ctx, std::string ns, std::string ref,
                   std::unique_ptr<content::Writer> backend, std::optional<Digest> shared_digest,
                   int64_t shared_size, absl::Time started_at);

  absl::Status Write(std::string_view data) override;
  absl::Status Truncate() override;
  Digest RunningDigest() const override;
  content::Status GetStatus() const override;
  absl::Status Commit(const content::CommitOptions& opts) override;

 private:
  // Turns a shared writer into a real, empty backend ingest: bytes sent after all are written and verified.
  absl::Status Materialize();
  // Adds the namespace's record for the verified blob and retires the ingest, in one write transaction.
  absl::Status Record(const Digest& digest, int64_t size, const Labels& labels);

  std::shared_ptr<ContentStore::Shared> shared_;
  Context ctx_;
  std::string ns_;
  std::string ref_;
  std::unique_ptr<content::Writer> backend_;
  std::optional<Digest> shared_digest_;
  int64_t shared_size_ = 0;
  absl::Time started_at_;
  bool spent_ = false;
};

}  // namespace berth::metadata
