// The OCI runtime spec `berth run` gives a container: containerd 1.6's default unix spec (oci/spec.go
// populateDefaultUnixSpec: namespaces, mounts, capabilities, masked paths), with the image's process defaults.
#pragma once

#include <string>
#include <vector>

#include "image_resolve.h"

namespace berth::cli {

struct SpecOptions {
  std::string ns, id;
  std::vector<std::string> args;  // empty: the image's entrypoint + cmd
  bool terminal = false;
  int64_t memory_limit = 0;  // bytes (linux.resources.memory.limit); 0: none
};

// The spec as JSON; InvalidArgument when there is nothing to run or the image's user is a name (only uid[:gid]).
absl::StatusOr<std::string> DefaultSpec(const ResolvedImage& image, const SpecOptions& options);


}  // namespace berth::cli
