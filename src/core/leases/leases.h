// Leases: client-held references that keep what was created under them from garbage collection until the lease
// is deleted or expires (label containerd.io/gc.expire). Namespaced.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/context.h"
#include "base/labels.h"

namespace berth::leases {

struct Lease {
  std::string id;
  absl::Time created_at;
  Labels labels;
};

// A resource held by a lease: type "content" (id = digest), "ingests" (id = ref),
// "snapshots/<snapshotter>" (id = key), as containerd names them.
struct Resource {
  std::string id;
  std::string type;
  bool operator==(const Resource&) const = default;
};

class Manager {
 public:
  virtual ~Manager() = default;
  // Empty id: one is generated. AlreadyExists when taken.
  virtual absl::StatusOr<Lease> Create(const Context& ctx, const Lease& lease) = 0;
  virtual absl::Status Delete(const Context& ctx, const std::string& id) = 0;  // NotFound
  virtual absl::StatusOr<std::vector<Lease>> List(const Context& ctx, const std::vector<std::string>& filters) = 0;
  virtual absl::Status AddResource(const Context& ctx, const std::string& lease_id, const Resource& r) = 0;
  virtual absl::Status DeleteResource(const Context& ctx, const std::string& lease_id, const Resource& r) = 0;
  virtual absl::StatusOr<std::vector<Resource>> ListResources(const Context& ctx, const std::string& lease_id) = 0;
};

}  // namespace berth::leases
