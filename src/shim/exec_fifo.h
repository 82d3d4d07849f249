// What `runc start` does, done in the shim. `runc init` waits, just before it execs the container's process, until
// someone opens its exec FIFO (<runc root>/<id>/exec.fifo) to read; it writes one byte and the exec closes its
// end. runc start reads the FIFO to EOF and removes it (runc tells "created" from "running" by the FIFO being
// there). In runc 1.1 that is all it does (poststart hooks run at create), so the shim spares a Go program's
// start, about 7 ms of a short task's life. Any other layout (another runc) is reported as NotFound and the
// caller runs `runc start` itself.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

#include "absl/status/status.h"

namespace berth::shim {

// Returns once the init has exec'd (or exited after being let go). NotFound: no FIFO at `path`;
// FailedPrecondition: the init died before it was let go.
absl::Status ReleaseThroughExecFifo(const std::string& path, pid_t init_pid, std::chrono::milliseconds timeout);

}  // namespace berth::shim
