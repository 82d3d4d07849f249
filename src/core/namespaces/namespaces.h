// Namespaces: every object lives in one. Names follow containerd's identifier rule; a namespace that still holds
// objects cannot be deleted (FailedPrecondition). Writes into a namespace that does not exist create it.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/labels.h"

namespace berth::namespaces {

struct Namespace {
  std::string name;
  Labels labels;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual absl::Status Create(const Namespace& ns) = 0;  // AlreadyExists
  virtual absl::StatusOr<Namespace> Get(const std::string& name) = 0;  // NotFound
  virtual absl::StatusOr<std::vector<std::string>> List() = 0;  // sorted names
  // `fieldpaths` empty: replace the labels; else "labels.<key>" entries set (or, with value "", delete) one label.
  virtual absl::StatusOr<Namespace> Update(const Namespace& ns, const std::vector<std::string>& fieldpaths) = 0;
  virtual absl::Status Delete(const std::string& name) = 0;  // NotFound; FailedPrecondition when not empty
};

// containerd's identifiers.Validate: [A-Za-z0-9]+([._-][A-Za-z0-9]+)*, at most 76 characters.
absl::Status ValidateName(const std::string& name);

}  // namespace berth::namespaces
