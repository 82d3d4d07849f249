#include "df/tree_size.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/status.h"
#include "base/unique_fd.h"
#include "fmt/format.h"

namespace berth::df {

namespace {
// Deeper than any real tree; bounds the recursion against a pathological one.
constexpr int kMaxDepth = 512;
}  // namespace

absl::StatusOr<int64_t> TreeSizer::Size(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "lstat", path);
  return SizeAt(AT_FDCWD, path, path, st.st_dev, 0);
}

absl::StatusOr<int64_t> TreeSizer::SizeAt(int dir_fd, const std::string& name, const std::string& path, dev_t dev,
                                          int depth) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return 0;
    return ErrnoStatus(errno, "stat", path);
  }
  if (st.st_dev != dev) return 0;  // a mount point: its bytes belong to another file system
  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && !linked_.emplace(st.st_dev, st.st_ino).second) return 0;
  int64_t total = st.st_size;
  if (!S_ISDIR(st.st_mode)) return total;
  if (depth > kMaxDepth) return absl::FailedPreconditionError(fmt::format("{}: tree deeper than {}", path, kMaxDepth));
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return total;
    return ErrnoStatus(errno, "open", path);
  }
  int list_fd = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);
  if (list_fd < 0) return ErrnoStatus(errno, "dup", path);
  DIR* dir = ::fdopendir(list_fd);
  if (dir == nullptr) {
    ::close(list_fd);
    return ErrnoStatus(errno, "opendir", path);
  }
  absl::Status error;
  while (struct dirent* e = ::readdir(dir)) {
    std::string child = e->d_name;
    if (child == "." || child == "..") continue;
    absl::StatusOr<int64_t> size = SizeAt(fd.get(), child, path + "/" + child, dev, depth + 1);
    if (!size.ok()) {
      error = size.status();
      break;
    }
    total += *size;
  }
  ::closedir(dir);
  RETURN_IF_ERROR(error);
  return total;
}

}  // namespace berth::df
