// A pidfd (Linux ≥ 5.3): an fd that becomes readable when the process exits, so waiting for an exit can be
// part of a poll with a deadline instead of a sleep loop.
#pragma once

#include <sys/types.h>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace berth {

// Close-on-exec. The pid must be this process's child or otherwise still unreaped for the fd to name it.
absl::StatusOr<UniqueFd> PidfdOpen(pid_t pid);

}  // namespace berth
