// Close-on-exec for fds that libraries open without it: berthd and the shim spawn children (shims, runc,
// containers), and an fd without FD_CLOEXEC is inherited by every one of them (issue "every fd O_CLOEXEC").
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth {

// Sets FD_CLOEXEC on every fd of this process that is open on one of `files` (matched by device and inode, so
// symlinks and relative paths do not matter). For libraries that keep their fds to themselves, such as LMDB's
// data.mdb and lock.mdb. Files that do not exist are skipped.
absl::Status SetCloseOnExecForOpenFiles(const std::vector<std::filesystem::path>& files);

// The whole content of a small file (/proc, cgroup, pid files), read through an O_CLOEXEC fd. std::ifstream
// opens without O_CLOEXEC, so a child spawned meanwhile by another thread would inherit its fd.
// OutOfRange if the file holds more than max_bytes.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes = 1 << 20);

}  // namespace berth
