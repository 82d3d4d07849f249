// containerd's task status as the words berth shows and serves ("running", "stopped", ...). Header-only: the CLI
// uses it without linking the runtime.
#pragma once

#include <string>

#include "github.com/containerd/containerd/api/types/task/task.pb.h"

namespace berth::runtime {

inline std::string TaskStatusName(containerd::v1::types::Status s) {
  switch (s) {
    case containerd::v1::types::CREATED: return "created";
    case containerd::v1::types::RUNNING: return "running";
    case containerd::v1::types::STOPPED: return "stopped";
    case containerd::v1::types::PAUSED: return "paused";
    case containerd::v1::types::PAUSING: return "pausing";
    default: return "unknown";
  }
}

}  // namespace berth::runtime
