// namespaces::Store over the metadata Db, plus the helpers every namespaced store uses: the namespace a request
// runs in, and the implicit creation of a namespace by the first write into it (containerd's behaviour).
#pragma once

#include <string>
#include <vector>

#include "base/context.h"
#include "core/namespaces/namespaces.h"
#include "metadata/db.h"

namespace berth::metadata {

// The caller's namespace, validated: InvalidArgument "namespace is required" when the context has none.
absl::StatusOr<std::string> RequireNamespace(const Context& ctx);

// Creates namespace `ns` (no labels) inside `txn` unless it exists. Every write into a namespace calls this in the
// same transaction, so an object never exists in a namespace that does not.
absl::Status EnsureNamespace(WriteTxn& txn, const std::string& ns);

// Thread-safe. `db` is not owned and must outlive the store.
class NamespaceStore : public namespaces::Store {
 public:
  explicit NamespaceStore(Db* db) : db_(db) {}

  absl::Status Create(const namespaces::Namespace& ns) override;
  absl::StatusOr<namespaces::Namespace> Get(const std::string& name) override;
  absl::StatusOr<std::vector<std::string>> List() override;
  // As containerd, updating a namespace that does not exist creates it. Paths: "labels" (replace all) or
  // "labels.<key>" (set; "" deletes); anything else is InvalidArgument.
  absl::StatusOr<namespaces::Namespace> Update(const namespaces::Namespace& ns,
                                               const std::vector<std::string>& fieldpaths) override;
  // FailedPrecondition naming what is left (images, blobs, leases, snapshots per snapshotter) when the namespace
  // is not empty. Its ingest records go with it; the backend ingests they held become garbage for gc.
  absl::Status Delete(const std::string& name) override;

 private:
  Db* db_;
};

}  // namespace berth::metadata
