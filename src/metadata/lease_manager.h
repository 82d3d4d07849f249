// leases::Manager over the metadata Db: lease records keyed (namespace, id), their resources keyed
// (namespace, id, type, resource id). The expiry label containerd.io/gc.expire is kept as any label; gc reads it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/leases/leases.h"
#include "metadata/db.h"

namespace berth::metadata {

// Thread-safe. `db` is not owned and must outlive the manager.
class LeaseManager : public leases::Manager {
 public:
  explicit LeaseManager(Db* db) : db_(db) {}

  // An empty id gets a generated one ("<nanoseconds>-<4 base64url chars>", as ctr makes them).
  absl::StatusOr<leases::Lease> Create(const Context& ctx, const leases::Lease& lease) override;
  // Deletes the lease and its resource references (not the resources).
  absl::Status Delete(const Context& ctx, const std::string& id) override;
  // Filter fields: id, labels.<key>. Sorted by id.
  absl::StatusOr<std::vector<leases::Lease>> List(const Context& ctx,
                                                  const std::vector<std::string>& filters) override;
  // Resource types: "content" (id must be a digest), "ingests", "snapshots/<snapshotter>"; others are
  // Unimplemented, as containerd. NotFound if the lease does not exist.
  absl::Status AddResource(const Context& ctx, const std::string& lease_id, const leases::Resource& r) override;
  // Removing a resource the lease does not hold is not an error.
  absl::Status DeleteResource(const Context& ctx, const std::string& lease_id, const leases::Resource& r) override;
  // Content first, then ingests, then snapshots, each sorted by id.
  absl::StatusOr<std::vector<leases::Resource>> ListResources(const Context& ctx,
                                                              const std::string& lease_id) override;

  // Called after every successful Delete and DeleteResource, so garbage collection can follow
  // (metadata/gc_collector.h). Set before the manager is shared.
  void set_on_delete(std::function<void()> fn) { on_delete_ = std::move(fn); }

 private:
  Db* db_;
  std::function<void()> on_delete_;
};

// For the other metadata stores, inside their own write transaction: NotFound ("lease \"x\": not found") if the
// lease does not exist in `ns`, else records `r` under it.
absl::Status AddLeaseResource(WriteTxn& txn, const std::string& ns, const std::string& lease_id,
                              const leases::Resource& r);
absl::Status RemoveLeaseResource(WriteTxn& txn, const std::string& ns, const std::string& lease_id,
                                 const leases::Resource& r);
// NotFound unless lease `lease_id` exists in `ns`.
absl::Status CheckLeaseExists(const Txn& txn, const std::string& ns, const std::string& lease_id);

}  // namespace berth::metadata
