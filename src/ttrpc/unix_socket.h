// Unix path sockets (never abstract ones: a path can be protected by directory modes and found on disk).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace berth::ttrpc {

// socket + bind + listen on `path` (which must not exist), close-on-exec. InvalidArgument if the path does not
// fit in sockaddr_un; AlreadyExists (EADDRINUSE) if something is there.
absl::StatusOr<UniqueFd> ListenUnix(const std::string& path);

// Connects to the socket at `path` (close-on-exec, blocking).
absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path);

// "unix:///run/x.sock" → "/run/x.sock"; a path without the scheme is returned as is.
std::string StripUnixScheme(const std::string& address);

}  // namespace berth::ttrpc
