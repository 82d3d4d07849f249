// Path resolution that cannot leave a root directory: archive names are cleaned lexically (".." stops at the
// root, absolute names are taken from the root), then resolved with openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS), so a symlink anywhere in a parent path — planted by this layer or an older one —
// is followed as if the root were "/". The last component is always handled with *at calls that do not
// follow it. This is the sanitising behaviour of containerd's fs.RootPath, without its check-then-use races.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace berth::diff {

// "a/./b/../c/" → {"a", "c"}; "/../../etc" → {"etc"}; "", ".", "/" and ".." → {} (the root itself).
std::vector<std::string> CleanComponents(std::string_view name);
std::string JoinComponents(std::span<const std::string> comps);

// Opens the directory `comps` inside `root_fd` (O_RDONLY | O_DIRECTORY). Errors keep the errno's code
// (NotFound for a missing component) and name `comps`.
absl::StatusOr<UniqueFd> OpenDirInRoot(int root_fd, std::span<const std::string> comps);

// Opens `comps` inside `root_fd` as an O_PATH fd, following a symlink in the last component too (as Go's
// fs.RootPath + Lstat do). Used to read attributes of a lower layer's directory.
absl::StatusOr<UniqueFd> OpenPathInRoot(int root_fd, std::span<const std::string> comps);

// Called for each directory MkdirAllInRoot creates: its fd and its path (components) under the root.
using DirCreatedFn = std::function<absl::Status(int dir_fd, std::span<const std::string> path)>;

// containerd's mkparent: opens directory `comps`, creating missing ones (0755) on the way. When openat2 cannot
// resolve the path (a missing component, or a symlink whose target runs through "missing/.."), the lookup
// falls back to a component-at-a-time O_NOFOLLOW walk that cleans symlink targets lexically as containerd's
// fs.RootPath does: a dangling symlink is followed (inside the root) and its target created. A non-directory
// on the way is FailedPrecondition ("not a directory"). OpenDirInRoot falls back the same way, creating nothing.
absl::StatusOr<UniqueFd> MkdirAllInRoot(int root_fd, std::span<const std::string> comps,
                                        const DirCreatedFn& on_created);

// The names in directory `dir_fd` except "." and "..", in readdir order. `what` names it for errors.
absl::StatusOr<std::vector<std::string>> ListDirNames(int dir_fd, std::string_view what);

// Removes `name` in `dir_fd` and, for a directory, everything below it, never following symlinks. A missing
// `name` is not an error. `what` names the object for errors.
absl::Status RemoveAllAt(int dir_fd, const std::string& name, std::string_view what);

// Removes the children of directory `dir_fd` for which `keep(dir_fd, child)` is false; kept directories are
// cleared the same way, recursively (containerd's opaque-directory walk in plain mode).
absl::Status RemoveChildrenExcept(int dir_fd, const std::function<bool(int, const std::string&)>& keep,
                                  std::string_view what);

}  // namespace berth::diff
