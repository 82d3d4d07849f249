// The `start` action: make the shim's socket, record it in <bundle>/address, fork the long-lived daemon with the
// listening socket as fd 3, and return the address for containerd. Re-uses a live shim already on that socket.
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "shim/flags.h"

namespace berth::shim {

// /run/containerd/s/<hex sha256("<address>/<ns>/<id>")>, the path containerd's runc shim uses. The directory is
// fixed (not under containerd's --state) so the address fits in a socket address whatever the state dir is.
std::string SocketPath(const std::string& containerd_address, const std::string& ns, const std::string& id);

// The fd the daemon serves on.
inline constexpr int kDaemonListenerFd = 3;

// Returns "unix://<socket path>" in `start`; the forked daemon runs `run_daemon` and exits with its result.
absl::StatusOr<std::string> StartShim(const Flags& flags, const std::function<int()>& run_daemon);

}  // namespace berth::shim
