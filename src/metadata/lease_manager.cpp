#include "metadata/lease_manager.h"

#include <algorithm>
#include <random>

#include "base/status.h"
#include "filters/filter.h"
#include "fmt/format.h"
#include "metadata/keys.h"
#include "metadata/namespace_store.h"
#include "metadata/records.h"

namespace berth::metadata {

namespace {

absl::Status NotFound(const std::string& id) {
  return absl::NotFoundError(fmt::format("lease \"{}\": not found", id));
}

// containerd's leases.WithRandomID: the nanosecond part of the clock and 3 random bytes in base64url.
std::string GenerateId() {
  static constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  thread_local std::mt19937 rng{std::random_device{}()};
  uint32_t bits = rng() & 0xFFFFFF;
  std::string suffix;
  for (int shift = 18; shift >= 0; shift -= 6) suffix.push_back(kBase64Url[(bits >> shift) & 0x3F]);
  int64_t nanos = absl::ToUnixNanos(absl::Now()) % 1000000000;
  return fmt::format("{}-{}", nanos, suffix);
}

// Checks the type and normalizes the id, as containerd's parseLeaseResource.
absl::StatusOr<leases::Resource> ParseResource(const leases::Resource& r) {
  std::string_view type = r.type;
  size_t slash = type.find('/');
  std::string_view kind = type.substr(0, slash);
  if (kind == "content" || kind == "ingests") {
    if (slash != std::string_view::npos) {
      return absl::InvalidArgumentError(fmt::format("invalid resource type {}", r.type));
    }
    if (kind == "content") {
      absl::StatusOr<Digest> d = Digest::Parse(r.id);
      if (!d.ok()) {
        return absl::InvalidArgumentError(
            fmt::format("invalid content resource id {}: {}", r.id, std::string(d.status().message())));
      }
    }
  } else if (kind == "snapshots") {
    if (slash == std::string_view::npos || slash + 1 == type.size() ||
        type.find('/', slash + 1) != std::string_view::npos) {
      return absl::InvalidArgumentError(fmt::format("invalid snapshot resource type {}", r.type));
    }
  } else {
    return absl::UnimplementedError(fmt::format("resource type {} not supported yet", r.type));
  }
  if (r.id.empty()) return absl::InvalidArgumentError(fmt::format("resource of type {} has an empty id", r.type));
  return r;
}

filters::Adaptor Adapt(const leases::Lease& lease) {
  return [&lease](const std::vector<std::string>& path) -> std::optional<std::string> {
    if (path.empty()) return std::nullopt;
    if (path[0] == "id") return lease.id.empty() ? std::nullopt : std::optional(lease.id);
    if (path[0] == "labels") return filters::LabelLookup(lease.labels, {path.begin() + 1, path.end()});
    return std::nullopt;
  };
}

}  // namespace

absl::Status CheckLeaseExists(const Txn& txn, const std::string& ns, const std::string& lease_id) {
  ASSIGN_OR_RETURN(std::optional<std::string> lease, txn.Get(Table::kLeases, Key({ns, lease_id})));
  if (!lease.has_value()) return NotFound(lease_id);
  return absl::OkStatus();
}

absl::Status AddLeaseResource(WriteTxn& txn, const std::string& ns, const std::string& lease_id,
                              const leases::Resource& r) {
  RETURN_IF_ERROR(CheckLeaseExists(txn, ns, lease_id));
  ASSIGN_OR_RETURN(leases::Resource resource, ParseResource(r));
  // The value repeats type and id in full: the key may hold only their hashes.
  return txn.Put(Table::kLeaseResources, Key({ns, lease_id, resource.type, resource.id}),
                 Key({resource.type, resource.id}));
}

absl::Status RemoveLeaseResource(WriteTxn& txn, const std::string& ns, const std::string& lease_id,
                                 const leases::Resource& r) {
  RETURN_IF_ERROR(CheckLeaseExists(txn, ns, lease_id));
  ASSIGN_OR_RETURN(leases::Resource resource, ParseResource(r));
  ASSIGN_OR_RETURN(bool existed, txn.Delete(Table::kLeaseResources, Key({ns, lease_id, resource.type, resource.id})));
  (void)existed;  // removing what the lease does not hold is fine, as containerd
  return absl::OkStatus();
}

absl::StatusOr<leases::Lease> LeaseManager::Create(const Context& ctx, const leases::Lease& lease) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  RETURN_IF_ERROR(WithContext(ValidateLabels(lease.labels), "lease.Labels"));
  leases::Lease created = lease;
  if (created.id.empty()) created.id = GenerateId();
  created.created_at = absl::Now();
  RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
    std::string key = Key({ns, created.id});
    ASSIGN_OR_RETURN(std::optional<std::string> existing, txn.Get(Table::kLeases, key));
    if (existing.has_value()) {
      return absl::AlreadyExistsError(fmt::format("lease \"{}\": already exists", created.id));
    }
    RETURN_IF_ERROR(EnsureNamespace(txn, ns));
    return txn.Put(Table::kLeases, key, EncodeLease(created));
  }));
  return created;
}

absl::Status LeaseManager::Delete(const Context& ctx, const std::string& id) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(bool existed, txn.Delete(Table::kLeases, Key({ns, id})));
    if (!existed) return NotFound(id);
    return txn.DeletePrefix(Table::kLeaseResources, KeyPrefix({ns, id}));
  }));
  if (on_delete_) on_delete_();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<leases::Lease>> LeaseManager::List(const Context& ctx,
                                                              const std::vector<std::string>& filters) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  ASSIGN_OR_RETURN(filters::Filter filter, filters::Filter::Parse(filters));
  std::vector<leases::Lease> out;
  absl::Status decode_error;
  ASSIGN_OR_RETURN(Txn txn, db_->BeginRead());
  RETURN_IF_ERROR(txn.Scan(Table::kLeases, KeyPrefix({ns}), [&](std::string_view key, std::string_view value) {
    absl::StatusOr<leases::Lease> lease = DecodeLease(SplitKey(key)[1], value);
    if (!lease.ok()) {
      decode_error = lease.status();
      return false;
    }
    if (filter.Match(Adapt(*lease))) out.push_back(*std::move(lease));
    return true;
  }));
  RETURN_IF_ERROR(decode_error);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

absl::Status LeaseManager::AddResource(const Context& ctx, const std::string& lease_id,
                                       const leases::Resource& r) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  return db_->Update([&](WriteTxn& txn) { return AddLeaseResource(txn, ns, lease_id, r); });
}

absl::Status LeaseManager::DeleteResource(const Context& ctx, const std::string& lease_id,
                                          const leases::Resource& r) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) { return RemoveLeaseResource(txn, ns, lease_id, r); }));
  if (on_delete_) on_delete_();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<leases::Resource>> LeaseManager::ListResources(const Context& ctx,
                                                                          const std::string& lease_id) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  ASSIGN_OR_RETURN(Txn txn, db_->BeginRead());
  RETURN_IF_ERROR(CheckLeaseExists(txn, ns, lease_id));
  std::vector<leases::Resource> out;
  RETURN_IF_ERROR(txn.Scan(Table::kLeaseResources, KeyPrefix({ns, lease_id}),
                           [&](std::string_view, std::string_view value) {
                             std::vector<std::string> parts = SplitKey(value);
                             out.push_back({.id = parts.back(), .type = parts.front()});
                             return true;
                           }));
  return out;
}

}  // namespace berth::metadata
