// containers::Store over the metadata Db: key (namespace, id) in the containers table (schema.md). Semantics,
// validation and error messages as containerd 1.6 metadata/containers.go.
//
// Containers are garbage-collection roots: ContainerRoots emits, for every container, its snapshot
// (snapshotter/snapshot key) and whatever its gc.ref labels name, as containerd's gc does.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/containers/containers.h"
#include "metadata/db.h"
#include "metadata/gc_graph.h"

namespace berth::metadata {

// Thread-safe. `db` is not owned and must outlive the store.
class ContainerStore : public containers::Store {
 public:
  explicit ContainerStore(Db* db) : db_(db) {}

  absl::StatusOr<containers::Container> Get(const Context& ctx, const std::string& id) override;
  absl::StatusOr<std::vector<containers::Container>> List(const Context& ctx,
                                                          const std::vector<std::string>& filters) override;
  absl::StatusOr<containers::Container> Create(const Context& ctx, const containers::Container& container) override;
  absl::StatusOr<containers::Container> Update(const Context& ctx, const containers::Container& container,
                                               const std::vector<std::string>& fieldpaths) override;
  absl::Status Delete(const Context& ctx, const std::string& id) override;

  // Called after every successful Delete (the container's snapshot may now be garbage).
  void set_on_delete(std::function<void()> fn) { on_delete_ = std::move(fn); }

 private:
  Db* db_;
  std::function<void()> on_delete_;
};

// The GarbageCollector's RootSource for containers (gc_collector.h).
absl::Status ContainerRoots(const Txn& txn, const EmitNode& emit);

// The container record's JSON value (schema.md): Any values are base64, times Unix nanoseconds.
std::string EncodeContainer(const containers::Container& container);
absl::StatusOr<containers::Container> DecodeContainer(std::string_view id, std::string_view value);

}  // namespace berth::metadata
