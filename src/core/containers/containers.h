// Containers: the metadata of a container as containerd stores it (containers/containers.go): an OCI spec, the
// runtime that runs it, the snapshot that is its root filesystem, labels and client extensions. No process here;
// a running container is a task (core/runtime). Namespaced.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/context.h"
#include "base/labels.h"

namespace berth::containers {

// A google.protobuf.Any kept verbatim: berthd never reinterprets what clients put there (the spec is JSON,
// runtime options are protobuf).
struct Any {
  std::string type_url;
  std::string value;
  bool operator==(const Any&) const = default;
};

struct Runtime {
  std::string name;  // e.g. io.containerd.runc.v2, io.containerd.berth.v1
  std::optional<Any> options;
};

struct Container {
  std::string id;
  Labels labels;
  std::string image;  // image name, informational
  Runtime runtime;
  std::optional<Any> spec;  // the OCI runtime spec (JSON); required
  std::string snapshotter;
  std::string snapshot_key;
  absl::Time created_at;
  absl::Time updated_at;
  std::map<std::string, Any> extensions;
};

class Store {
 public:
  virtual ~Store() = default;
  // NotFound `container "ID" in namespace "NS": not found`.
  virtual absl::StatusOr<Container> Get(const Context& ctx, const std::string& id) = 0;
  // Filters in containerd's syntax over id, image, runtime.name, snapshotter, snapshotkey, labels.<k>. Sorted by id.
  virtual absl::StatusOr<std::vector<Container>> List(const Context& ctx,
                                                      const std::vector<std::string>& filters) = 0;
  // Stamps created_at/updated_at; AlreadyExists if the id is taken; InvalidArgument as containerd's validation.
  virtual absl::StatusOr<Container> Create(const Context& ctx, const Container& container) = 0;
  // Paths "labels", "labels.<k>", "spec", "extensions", "extensions.<k>", "image", "snapshotkey"; none replaces
  // those five (snapshotter and runtime name are immutable).
  virtual absl::StatusOr<Container> Update(const Context& ctx, const Container& container,
                                           const std::vector<std::string>& fieldpaths) = 0;
  virtual absl::Status Delete(const Context& ctx, const std::string& id) = 0;  // NotFound
};

}  // namespace berth::containers
