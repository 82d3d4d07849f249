// Writes the changes between two directory trees as an OCI layer tar: containerd's fs.Changes double walk
// feeding archive.ChangeWriter. Deleted paths become `.wh.` whiteouts (one per deleted directory, not per
// child), added and modified paths are written from `upper` with their parents, and hardlinked files keep
// their links.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "base/context.h"
#include "plugins/diff/tar_writer.h"

namespace berth::diff {

// Differences from containerd's ChangeWriter, on purpose: xattrs other than trusted.*, security.selinux and
// system.* are written (containerd writes only security.capability), so user.* xattrs survive a commit.
absl::Status WriteChanges(const Context& ctx, const std::string& lower, const std::string& upper, TarWriter& tw);

}  // namespace berth::diff
