// Which shim binary runs a runtime, by containerd 1.6's rules (runtime/v2/shim/util.go): an absolute path is used
// as is; `a.b.<name>.<version>` → `containerd-shim-<name>-<version>`, looked up on $PATH and then beside berthd.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace berth::runtime {

// InvalidArgument for a name with fewer than two dot-separated fields; NotFound when no such binary exists.
absl::StatusOr<std::string> ResolveShimBinary(const std::string& runtime_name);

// "io.containerd.runc.v2" → "containerd-shim-runc-v2".
absl::StatusOr<std::string> ShimBinaryName(const std::string& runtime_name);

// Whether BINARY is berth's own shim, whose Delete already leaves nothing for its `delete` action to clean.
bool IsBerthShim(const std::string& binary);

}  // namespace berth::runtime
