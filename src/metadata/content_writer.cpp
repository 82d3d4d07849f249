#include "metadata/content_writer.h"

#include "base/status.h"
#include "fmt/format.h"
#include "metadata/keys.h"
#include "metadata/lease_manager.h"
#include "metadata/namespace_store.h"
#include "metadata/records.h"

namespace berth::metadata {

namespace {
absl::Status Spent(const std::string& ref) {
  return absl::FailedPreconditionError(fmt::format("ref {}: writer already committed", ref));
}
}  // namespace

NamespacedWriter::NamespacedWriter(std::shared_ptr<ContentStore::Shared> shared, Context ctx, std::string ns,
                                   std::string ref, std::unique_ptr<content::Writer> backend,
                                   std::optional<Digest> shared_digest, int64_t shared_size,
                                   absl::Time started_at)
    : shared_(std::move(shared)),
      ctx_(std::move(ctx)),
      ns_(std::move(ns)),
      ref_(std::move(ref)),
      backend_(std::move(backend)),
      shared_digest_(std::move(shared_digest)),
      shared_size_(shared_size),
      started_at_(started_at) {}

absl::Status NamespacedWriter::Materialize() {
  content::WriterOptions opts{.ref = BackendRef(ns_, ref_), .total = shared_size_, .expected = std::nullopt};
  ASSIGN_OR_RETURN(std::unique_ptr<content::Writer> w, shared_->backend->OpenWriter(ctx_, opts));
  RETURN_IF_ERROR(w->Truncate());
  backend_ = std::move(w);
  shared_digest_.reset();
  return absl::OkStatus();
}

absl::Status NamespacedWriter::Write(std::string_view data) {
  if (spent_) return Spent(ref_);
  if (!backend_) {
    if (data.empty()) return absl::OkStatus();
    // A client that sends bytes anyway sends the blob from its start (containerd would append them after a copy
    // of the stored blob, which only a client resuming at offset 0 without truncating could want).
    RETURN_IF_ERROR(Materialize());
  }
  return backend_->Write(data);
}

absl::Status NamespacedWriter::Truncate() {
  if (spent_) return Spent(ref_);
  if (!backend_) return Materialize();
  return backend_->Truncate();
}

Digest NamespacedWriter::RunningDigest() const {
  if (backend_) return backend_->RunningDigest();
  return *shared_digest_;
}

content::Status NamespacedWriter::GetStatus() const {
  content::Status st;
  if (backend_) {
    st = backend_->GetStatus();
  } else {
    st.offset = st.total = shared_size_;
    st.expected = shared_digest_;
    st.started_at = st.updated_at = started_at_;
  }
  st.ref = ref_;
  return st;
}

absl::Status NamespacedWriter::Commit(const content::CommitOptions& opts) {
  if (spent_) return Spent(ref_);
  RETURN_IF_ERROR(WithContext(ValidateLabels(opts.labels), "info.Labels"));
  if (!ctx_.lease.empty()) {
    // Checked before the backend commit so that a missing lease does not leave a committed, unrecorded blob.
    RETURN_IF_ERROR(shared_->db->View([&](const Txn& txn) { return CheckLeaseExists(txn, ns_, ctx_.lease); }));
  }
  if (!backend_) {
    if (opts.size != 0 && opts.size != shared_size_) {
      return absl::FailedPreconditionError(
          fmt::format("\"{}\" failed size validation: {} != {}", ref_, shared_size_, opts.size));
    }
    if (opts.expected && *opts.expected != *shared_digest_) {
      return absl::FailedPreconditionError(fmt::format("\"{}\" unexpected commit digest {}, expected {}", ref_,
                                                       shared_digest_->str(), opts.expected->str()));
    }
    Digest digest = *shared_digest_;
    std::unique_lock<std::mutex> lock = shared_->digest_locks.Lock(digest.str());
    // Our ingest record kept the blob from being deleted, but a gc outside the metadata layer might not have.
    RETURN_IF_ERROR(shared_->backend->GetInfo(ctx_, digest).status());
    return Record(digest, shared_size_, opts.labels);
  }

  // The digest is known before the backend commit verifies it, so the lock covers both the blob appearing in
  // the backend and the record that keeps it there.
  Digest digest = backend_->RunningDigest();
  int64_t size = backend_->GetStatus().offset;
  std::unique_lock<std::mutex> lock = shared_->digest_locks.Lock(digest.str());
  absl::Status committed = backend_->Commit({.size = opts.size, .expected = opts.expected, .labels = {}});
  if (!committed.ok() && !absl::IsAlreadyExists(committed)) return committed;
  return Record(digest, size, opts.labels);
}

absl::Status NamespacedWriter::Record(const Digest& digest, int64_t size, const Labels& labels) {
  bool existed = false;
  RETURN_IF_ERROR(shared_->db->Update([&](WriteTxn& txn) -> absl::Status {
    RETURN_IF_ERROR(EnsureNamespace(txn, ns_));
    std::string key = Key({ns_, digest.str()});
    ASSIGN_OR_RETURN(std::optional<std::string> current, txn.Get(Table::kBlobs, key));
    existed = current.has_value();
    if (!existed) {
      absl::Time now = absl::Now();
      content::Info info{.digest = digest, .size = size, .created_at = now, .updated_at = now, .labels = labels};
      RETURN_IF_ERROR(txn.Put(Table::kBlobs, key, EncodeBlob(info)));
      RETURN_IF_ERROR(txn.Put(Table::kBlobRefs, Key({digest.str(), ns_}), ""));
    }
    std::string ingest_key = Key({ns_, ref_});
    ASSIGN_OR_RETURN(std::optional<std::string> ingest, txn.Get(Table::kIngests, ingest_key));
    if (ingest.has_value()) {
      ASSIGN_OR_RETURN(IngestRecord record, DecodeIngest(ref_, *ingest));
      RETURN_IF_ERROR(txn.Delete(Table::kIngests, ingest_key).status());
      if (!record.lease.empty()) {
        absl::Status s = RemoveLeaseResource(txn, ns_, record.lease, {.id = ref_, .type = "ingests"});
        if (!absl::IsNotFound(s)) RETURN_IF_ERROR(s);  // the lease may be gone; its resources went with it
      }
    }
    if (!ctx_.lease.empty()) {
      RETURN_IF_ERROR(AddLeaseResource(txn, ns_, ctx_.lease, {.id = digest.str(), .type = "content"}));
    }
    return absl::OkStatus();
  }));
  spent_ = true;
  backend_.reset();  // releases the backend ref at once
  shared_digest_ = digest;
  shared_size_ = size;
  if (existed) return absl::AlreadyExistsError(fmt::format("content {}: already exists", digest.str()));
  return absl::OkStatus();
}

}  // namespace berth::metadata
