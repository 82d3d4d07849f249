// The long-lived shim: serves containerd.task.v2.Task on the socket inherited as fd 3 until Shutdown.
#pragma once

#include "shim/flags.h"

namespace berth::shim {

// Runs until Shutdown; returns the process exit code.
int RunDaemon(const Flags& flags);

}  // namespace berth::shim
