// Small state files written whole (a task bundle's config.json, exit.json, stop-reason.json; the shim's exec specs).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace berth {

// Temp file, then rename: a crash of berthd leaves the old file or the new one, never half of one. No fsync: the
// page cache outlives a crashed process, and the state dir (tmpfs /run) outlives no reboot, nor do containers.
// Never follows a symlink planted at the temp path.
absl::Status WriteFileAtomically(const std::string& path, std::string_view data, mode_t mode);
// (Read them with ReadSmallFile, base/close_on_exec.h: NotFound when missing, O_CLOEXEC.)

}  // namespace berth
