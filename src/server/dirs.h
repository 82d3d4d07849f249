// The daemon's own directories and files: private dirs, the single-daemon lock, the stable server UUID.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace berth::server {

// mkdir -p `path`, then make sure the last component is a directory with mode 0700 (tightening it if needed).
absl::Status EnsurePrivateDir(const std::string& path);

// Takes an exclusive flock on `<dir>/berthd.lock`: two daemons on one root would corrupt each other.
absl::StatusOr<UniqueFd> LockRoot(const std::string& dir);

// The UUID in `<dir>/uuid`, created on first start (introspection.Server reports it).
absl::StatusOr<std::string> LoadOrCreateUuid(const std::string& dir);

// Removes a stale unix socket at `path`; FailedPrecondition if a live server still answers on it.
absl::Status RemoveStaleSocket(const std::string& path);

}  // namespace berth::server
