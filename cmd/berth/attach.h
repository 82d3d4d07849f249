// Starts a created task or exec process with its stdio attached, and waits for it: what `berth run` (foreground)
// and `berth exec` share. With a terminal, ours is put in raw mode (restored after) and the pty sized to it.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "client.h"
#include "stdio.h"

namespace berth::cli {

// The process's exit status.
absl::StatusOr<uint32_t> StartAndWait(const Globals& g, const std::string& container_id, const std::string& exec_id,
                                      Stdio& stdio, bool terminal);

}  // namespace berth::cli
