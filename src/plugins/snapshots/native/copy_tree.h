// A faithful copy of a directory tree, for the native snapshotter's Prepare (containerd's continuity
// fs.CopyDir): types (directories, regular files, symlinks, fifos, sockets, character and block devices),
// permission and special mode bits, owners, access and modification times, extended attributes (all
// namespaces, including trusted.overlay.* and security.capability), and hard links between regular files
// within the tree (other hard-linked entries are copied separately, as containerd does).
//
// It never follows a symbolic link: every entry is reached through its parent directory's fd with O_NOFOLLOW
// or AT_SYMLINK_NOFOLLOW, so a symlink in the source is copied as a link and a symlink planted in the
// destination is never written through. Needs CAP_CHOWN/CAP_MKNOD (root) for owners and devices.
#pragma once

#include <filesystem>

#include "absl/status/status.h"

namespace berth::snapshots {

// Copies the contents and the metadata of directory `src` into the existing, empty directory `dst`.
// Extended attributes the destination file system refuses in the security.* namespace (e.g. SELinux labels
// on a file system without them) are skipped, as containerd does; every other failure is an error naming
// the path.
absl::Status CopyTree(const std::filesystem::path& src, const std::filesystem::path& dst);

}  // namespace berth::snapshots
