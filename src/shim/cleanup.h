// The `delete` action: containerd runs it after every shim disconnect (a clean Shutdown, or a shim that died).
// Kills and deletes what is left of the container in runc, unmounts the rootfs, removes a dead shim's socket, and
// returns what containerd records as the exit: the init pid, status 137, now. Succeeds when all is already gone.
#pragma once

#include "absl/status/statusor.h"
#include "shim/flags.h"
#include "shim/task_api.h"

namespace berth::shim {

// `bundle`: -bundle, else the working directory. Problems that do not stop the cleanup are logged (stderr).
absl::StatusOr<DeleteResponse> CleanupDeadShim(const Flags& flags, const std::string& bundle);

}  // namespace berth::shim
