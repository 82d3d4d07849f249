#include "metadata/content_store.h"

#include <algorithm>

#include "base/status.h"
#include "filters/filter.h"
#include "fmt/format.h"
#include "metadata/content_writer.h"
#include "metadata/keys.h"
#include "metadata/lease_manager.h"
#include "metadata/namespace_store.h"
#include "metadata/records.h"

namespace berth::metadata {

namespace {

absl::Status BlobNotFound(const Digest& digest) {
  return absl::NotFoundError(fmt::format("content digest {}: not found", digest.str()));
}

absl::Status RefNotFound(const std::string& ref) {
  return absl::NotFoundError(fmt::format("reference {}: not found", ref));
}

absl::StatusOr<std::optional<content::Info>> LoadBlob(const Txn& txn, const std::string& ns, const Digest& digest) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, txn.Get(Table::kBlobs, Key({ns, digest.str()})));
  if (!value.has_value()) return std::nullopt;
  ASSIGN_OR_RETURN(content::Info info, DecodeBlob(digest, *value));
  return info;
}

absl::StatusOr<std::optional<IngestRecord>> LoadIngest(const Txn& txn, const std::string& ns,
                                                       const std::string& ref) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, txn.Get(Table::kIngests, Key({ns, ref})));
  if (!value.has_value()) return std::nullopt;
  ASSIGN_OR_RETURN(IngestRecord record, DecodeIngest(ref, *value));
  return record;
}

filters::Adaptor AdaptInfo(const content::Info& info) {
  return [&info](const std::vector<std::string>& path) -> std::optional<std::string> {
    if (path.empty()) return std::nullopt;
    if (path[0] == "digest") return info.digest.str();
    if (path[0] == "size") return std::to_string(info.size);  // containerd: present but not comparable yet
    if (path[0] == "labels") return filters::LabelLookup(info.labels, {path.begin() + 1, path.end()});
    return std::nullopt;
  };
}

// The status of one recorded ingest; NotFound if its backend ingest is gone.
absl::StatusOr<content::Status> IngestStatus(content::Store& backend, const Context& ctx, const std::string& ref,
                                             const IngestRecord& record) {
  content::Status st;
  if (record.shared) {
    st.offset = st.total = record.total;
    st.expected = record.expected;
    st.started_at = st.updated_at = record.started_at;
  } else {
    ASSIGN_OR_RETURN(st, backend.GetStatus(ctx, record.backend_ref));
  }
  st.ref = ref;
  return st;
}

}  // namespace

std::string BackendRef(const std::string& ns, const std::string& ref) { return fmt::format("{}/{}", ns, ref); }

absl::Status ReleaseIfUnreferenced(ContentStore::Shared& shared, const Context& ctx, const Digest& digest) {
  return DeleteIfUnreferenced(shared, ctx, digest).status();
}

absl::StatusOr<bool> DeleteIfUnreferenced(ContentStore::Shared& shared, const Context& ctx, const Digest& digest) {
  bool referenced = false;
  RETURN_IF_ERROR(shared.db->View([&](const Txn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(referenced, txn.HasPrefix(Table::kBlobRefs, KeyPrefix({digest.str()})));
    if (referenced) return absl::OkStatus();
    // Ingests are few (transfers in flight), so a scan beats keeping a second index consistent.
    absl::Status decode_error;
    RETURN_IF_ERROR(txn.Scan(Table::kIngests, "", [&](std::string_view key, std::string_view value) {
      absl::StatusOr<IngestRecord> record = DecodeIngest(SplitKey(key).back(), value);
      if (!record.ok()) {
        decode_error = record.status();
        return false;
      }
      referenced = record->expected == digest;
      return !referenced;
    }));
    return decode_error;
  }));
  if (referenced) return false;
  absl::Status s = shared.backend->Delete(ctx, digest);
  if (absl::IsNotFound(s)) return false;
  RETURN_IF_ERROR(s);
  return true;
}

absl::StatusOr<bool> ContentStore::ReleaseBlob(const Digest& digest) {
  std::unique_lock<std::mutex> lock = shared_->digest_locks.Lock(digest.str());
  return DeleteIfUnreferenced(*shared_, Context{}, digest);
}

ContentStore::ContentStore(Db* db, std::shared_ptr<content::Store> backend)
    : shared_(std::make_shared<Shared>(db, std::move(backend))) {}

absl::StatusOr<content::Info> ContentStore::GetInfo(const Context& ctx, const Digest& digest) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  ASSIGN_OR_RETURN(Txn txn, shared_->db->BeginRead());
  ASSIGN_OR_RETURN(std::optional<content::Info> info, LoadBlob(txn, ns, digest));
  if (!info.has_value()) return BlobNotFound(digest);
  return *std::move(info);
}

absl::StatusOr<content::Info> ContentStore::Update(const Context& ctx, const content::Info& info,
                                                   const std::vector<std::string>& fieldpaths) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  content::Info updated;
  RETURN_IF_ERROR(shared_->db->Update([&](WriteTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<content::Info> current, LoadBlob(txn, ns, info.digest));
    if (!current.has_value()) return BlobNotFound(info.digest);
    updated = *std::move(current);
    if (fieldpaths.empty()) updated.labels = info.labels;
    for (const std::string& path : fieldpaths) {
      if (path == "labels") {
        updated.labels = info.labels;
      } else if (path.starts_with("labels.")) {
        std::string key = path.substr(std::string_view("labels.").size());
        auto it = info.labels.find(key);
        if (it == info.labels.end() || it->second.empty()) {
          updated.labels.erase(key);
        } else {
          updated.labels[key] = it->second;
        }
      } else {
        return absl::InvalidArgumentError(
            fmt::format("cannot update \"{}\" field on content info \"{}\"", path, info.digest.str()));
      }
    }
    std::erase_if(updated.labels, [](const auto& kv) { return kv.second.empty(); });
    RETURN_IF_ERROR(WithContext(ValidateLabels(updated.labels), "info.Labels"));
    updated.updated_at = absl::Now();
    return txn.Put(Table::kBlobs, Key({ns, info.digest.str()}), EncodeBlob(updated));
  }));
  return updated;
}

absl::Status ContentStore::Walk(const Context& ctx, const content::Filters& filters,
                                const std::function<absl::Status(const content::Info&)>& fn) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  ASSIGN_OR_RETURN(filters::Filter filter, filters::Filter::Parse(filters));
  std::vector<content::Info> infos;
  absl::Status decode_error;
  {
    // Collected first so that `fn` runs without a transaction open (it may write).
    ASSIGN_OR_RETURN(Txn txn, shared_->db->BeginRead());
    RETURN_IF_ERROR(txn.Scan(Table::kBlobs, KeyPrefix({ns}), [&](std::string_view key, std::string_view value) {
      absl::StatusOr<Digest> digest = Digest::Parse(SplitKey(key)[1]);
      absl::StatusOr<content::Info> info =
          digest.ok() ? DecodeBlob(*digest, value) : absl::StatusOr<content::Info>(digest.status());
      if (!info.ok()) {
        decode_error = info.status();
        return false;
      }
      if (filter.Match(AdaptInfo(*info))) infos.push_back(*std::move(info));
      return true;
    }));
  }
  RETURN_IF_ERROR(decode_error);
  for (const content::Info& info : infos) RETURN_IF_ERROR(fn(info));
  return absl::OkStatus();
}

absl::Status ContentStore::Delete(const Context& ctx, const Digest& digest) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  // Held from the record's removal to the unlink: a commit of the same digest waits, so it either lands before
  // (and keeps the blob referenced) or after (and finds no blob and writes its own).
  std::unique_lock<std::mutex> lock = shared_->digest_locks.Lock(digest.str());
  RETURN_IF_ERROR(shared_->db->Update([&](WriteTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(bool existed, txn.Delete(Table::kBlobs, Key({ns, digest.str()})));
    if (!existed) return BlobNotFound(digest);
    RETURN_IF_ERROR(txn.Delete(Table::kBlobRefs, Key({digest.str(), ns})).status());
    if (!ctx.lease.empty()) {
      absl::Status s = RemoveLeaseResource(txn, ns, ctx.lease, {.id = digest.str(), .type = "content"});
      if (!absl::IsNotFound(s)) RETURN_IF_ERROR(s);
    }
    return absl::OkStatus();
  }));
  // The record's gc.ref labels may have been all that kept other blobs and snapshots.
  if (on_delete_) on_delete_();
  return ReleaseIfUnreferenced(*shared_, ctx, digest);
}

absl::StatusOr<std::unique_ptr<content::Reader>> ContentStore::OpenReader(const Context& ctx, const Digest& digest) {
  RETURN_IF_ERROR(GetInfo(ctx, digest).status());
  return shared_->backend->OpenReader(ctx, digest);
}

absl::StatusOr<content::Status> ContentStore::GetStatus(const Context& ctx, const std::string& ref) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  std::optional<IngestRecord> record;
  {
    ASSIGN_OR_RETURN(Txn txn, shared_->db->BeginRead());
    ASSIGN_OR_RETURN(record, LoadIngest(txn, ns, ref));
  }
  if (!record.has_value()) return RefNotFound(ref);
  absl::StatusOr<content::Status> st = IngestStatus(*shared_->backend, ctx, ref, *record);
  if (absl::IsNotFound(st.status())) return RefNotFound(ref);
  return st;
}

absl::StatusOr<std::vector<content::Status>> ContentStore::ListStatuses(const Context& ctx,
                                                                        const content::Filters& filters) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  ASSIGN_OR_RETURN(filters::Filter filter, filters::Filter::Parse(filters));
  std::vector<std::pair<std::string, IngestRecord>> records;
  absl::Status decode_error;
  {
    ASSIGN_OR_RETURN(Txn txn, shared_->db->BeginRead());
    RETURN_IF_ERROR(txn.Scan(Table::kIngests, KeyPrefix({ns}), [&](std::string_view key, std::string_view value) {
      absl::StatusOr<IngestRecord> record = DecodeIngest(SplitKey(key)[1], value);
      if (!record.ok()) {
        decode_error = record.status();
        return false;
      }
      std::string ref = record->ref;
      records.emplace_back(std::move(ref), *std::move(record));
      return true;
    }));
  }
  RETURN_IF_ERROR(decode_error);
  std::vector<content::Status> out;
  for (const auto& [ref, record] : records) {
    absl::StatusOr<content::Status> st = IngestStatus(*shared_->backend, ctx, ref, record);
    if (absl::IsNotFound(st.status())) continue;  // aborted or committed behind the record's back; gc tidies
    if (!st.ok()) return st.status();
    auto adaptor = [&](const std::vector<std::string>& path) -> std::optional<std::string> {
      if (path.size() == 1 && path[0] == "ref") return st->ref;
      return std::nullopt;
    };
    if (filter.Match(adaptor)) out.push_back(*std::move(st));
  }
  // Key order is ref order except for long refs (hashed in keys), so sort by the real refs.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.ref < b.ref; });
  return out;
}

absl::Status ContentStore::Abort(const Context& ctx, const std::string& ref) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  std::optional<IngestRecord> record;
  {
    ASSIGN_OR_RETURN(Txn txn, shared_->db->BeginRead());
    ASSIGN_OR_RETURN(record, LoadIngest(txn, ns, ref));
  }
  if (!record.has_value()) return RefNotFound(ref);
  // The backend first: a ref held by a live writer is Unavailable there, and then the record must stay.
  absl::Status aborted = record->shared ? absl::OkStatus() : shared_->backend->Abort(ctx, record->backend_ref);
  if (!aborted.ok() && !absl::IsNotFound(aborted)) return aborted;
  RETURN_IF_ERROR(shared_->db->Update([&](WriteTxn& txn) -> absl::Status {
    RETURN_IF_ERROR(txn.Delete(Table::kIngests, Key({ns, ref})).status());
    if (!record->lease.empty()) {
      absl::Status s = RemoveLeaseResource(txn, ns, record->lease, {.id = ref, .type = "ingests"});
      if (!absl::IsNotFound(s)) RETURN_IF_ERROR(s);
    }
    return absl::OkStatus();
  }));
  // No on_delete_ here (as containerd, an abort does not make gc dirty): an ingest holds nothing but its
  // expected blob, which is released just below.
  if (record->shared && record->expected) {
    // The blob may have lost its last namespace while this ingest kept it.
    std::unique_lock<std::mutex> lock = shared_->digest_locks.Lock(record->expected->str());
    RETURN_IF_ERROR(ReleaseIfUnreferenced(*shared_, ctx, *record->expected));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<content::Writer>> ContentStore::OpenWriter(const Context& ctx,
                                                                         const content::WriterOptions& opts) {
  if (opts.ref.empty()) return absl::InvalidArgumentError("ref must not be empty");
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  std::optional<IngestRecord> previous;
  bool have = false;
  {
    ASSIGN_OR_RETURN(Txn txn, shared_->db->BeginRead());
    if (!ctx.lease.empty()) RETURN_IF_ERROR(CheckLeaseExists(txn, ns, ctx.lease));
    if (opts.expected) {
      ASSIGN_OR_RETURN(std::optional<content::Info> info, LoadBlob(txn, ns, *opts.expected));
      have = info.has_value();
    }
    ASSIGN_OR_RETURN(previous, LoadIngest(txn, ns, opts.ref));
  }
  if (have) {
    // As containerd: content a lease's holder was about to write is leased even though it is already here, so
    // a pull under a lease protects everything it needs.
    if (!ctx.lease.empty()) {
      RETURN_IF_ERROR(shared_->db->Update([&](WriteTxn& txn) {
        return AddLeaseResource(txn, ns, ctx.lease, {.id = opts.expected->str(), .type = "content"});
      }));
    }
    return absl::AlreadyExistsError(fmt::format("content {}: already exists", opts.expected->str()));
  }

  IngestRecord record{.ref = opts.ref,
                      .backend_ref = BackendRef(ns, opts.ref),
                      .expected = opts.expected,
                      .total = opts.total,
                      .lease = ctx.lease,
                      .started_at = previous ? previous->started_at : absl::Now(),
                      .expire_at = absl::InfiniteFuture(),
                      .shared = false};
  if (record.lease.empty()) record.expire_at = absl::Now() + absl::Hours(24);  // containerd's unleased ingest

  // Records the ingest (and its lease reference) in one write transaction.
  auto record_ingest = [&]() {
    return shared_->db->Update([&](WriteTxn& txn) -> absl::Status {
      RETURN_IF_ERROR(EnsureNamespace(txn, ns));
      RETURN_IF_ERROR(txn.Put(Table::kIngests, Key({ns, opts.ref}), EncodeIngest(record)));
      if (!record.lease.empty()) {
        RETURN_IF_ERROR(AddLeaseResource(txn, ns, record.lease, {.id = opts.ref, .type = "ingests"}));
      }
      return absl::OkStatus();
    });
  };

  // Shared: the blob is in the backend (another namespace has it). The digest lock orders this against a Delete
  // that might otherwise unlink the blob between the check and the ingest record that keeps it.
  auto try_shared = [&]() -> absl::StatusOr<std::unique_ptr<content::Writer>> {
    std::unique_lock<std::mutex> lock = shared_->digest_locks.Lock(opts.expected->str());
    absl::StatusOr<content::Info> stored = shared_->backend->GetInfo(ctx, *opts.expected);
    if (!stored.ok() || (opts.total != 0 && opts.total != stored->size)) return nullptr;
    record.shared = true;
    record.total = stored->size;
    RETURN_IF_ERROR(record_ingest());
    return std::make_unique<NamespacedWriter>(shared_, ctx, ns, opts.ref, nullptr, opts.expected, stored->size,
                                              record.started_at);
  };

  if (opts.expected) {
    ASSIGN_OR_RETURN(std::unique_ptr<content::Writer> w, try_shared());
    if (w) return w;
  }
  absl::StatusOr<std::unique_ptr<content::Writer>> backend =
      shared_->backend->OpenWriter(ctx, {.ref = record.backend_ref, .total = opts.total, .expected = opts.expected});
  if (absl::IsAlreadyExists(backend.status()) && opts.expected) {
    // The blob landed in the backend since the check above.
    ASSIGN_OR_RETURN(std::unique_ptr<content::Writer> w, try_shared());
    if (w) return w;
  }
  if (!backend.ok()) return backend.status();
  RETURN_IF_ERROR(record_ingest());
  return std::make_unique<NamespacedWriter>(shared_, ctx, ns, opts.ref, *std::move(backend), std::nullopt, 0,
                                            record.started_at);
}

}  // namespace berth::metadata
