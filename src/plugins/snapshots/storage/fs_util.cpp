#include "plugins/snapshots/storage/fs_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <utility>

#include "base/status.h"
#include "base/unique_fd.h"

namespace berth::snapshots::storage {
namespace {

// Owns a DIR* made from a directory fd.
class DirStream {
 public:
  explicit DirStream(DIR* d) : d_(d) {}
  ~DirStream() {
    if (d_ != nullptr) ::closedir(d_);
  }
  DirStream(const DirStream&) = delete;
  DirStream& operator=(const DirStream&) = delete;
  DIR* get() const { return d_; }

 private:
  DIR* d_;
};

// Reads the entry names of an open directory (consumes a dup of `fd`).
absl::StatusOr<std::vector<std::string>> ReadNames(int fd, const std::string& what) {
  int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return ErrnoStatus(errno, "dup", what);
  DirStream dir(::fdopendir(dup));
  if (dir.get() == nullptr) {
    int err = errno;
    ::close(dup);
    return ErrnoStatus(err, "fdopendir", what);
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(dir.get())) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  if (errno != 0) return ErrnoStatus(errno, "readdir", what);
  return names;
}

using InodeSet = std::set<std::pair<dev_t, ino_t>>;

absl::Status Measure(int dirfd, const std::string& path, InodeSet& seen, Usage& usage) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ReadNames(dirfd, path));
  for (const std::string& name : names) {
    struct stat st;
    std::string child = path + "/" + name;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;  // removed while we walked (an active snapshot in use)
      return ErrnoStatus(errno, "stat", child);
    }
    if (seen.emplace(st.st_dev, st.st_ino).second) {
      usage.size += static_cast<int64_t>(st.st_blocks) * 512;
      usage.inodes++;
    }
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) {
        if (errno == ENOENT) continue;
        return ErrnoStatus(errno, "open", child);
      }
      RETURN_IF_ERROR(Measure(sub.get(), child, seen, usage));
    }
  }
  return absl::OkStatus();
}

absl::Status RemoveChildren(int dirfd, const std::string& path) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ReadNames(dirfd, path));
  for (const std::string& name : names) {
    std::string child = path + "/" + name;
    if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) continue;
    if (errno != EISDIR) return ErrnoStatus(errno, "unlink", child);
    UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub.valid()) {
      if (errno == ENOENT) continue;
      return ErrnoStatus(errno, "open", child);
    }
    RETURN_IF_ERROR(RemoveChildren(sub.get(), child));
    if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, "rmdir", child);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Usage> DiskUsage(const std::filesystem::path& root) {
  UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, "open", root.string());
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "stat", root.string());
  InodeSet seen{{st.st_dev, st.st_ino}};
  Usage usage{.size = static_cast<int64_t>(st.st_blocks) * 512, .inodes = 1};
  RETURN_IF_ERROR(Measure(fd.get(), root.string(), seen, usage));
  return usage;
}

absl::Status RemoveTree(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return absl::OkStatus();
  if (errno != EISDIR) return ErrnoStatus(errno, "unlink", path.string());
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus(errno, "open", path.string());
  }
  RETURN_IF_ERROR(RemoveChildren(fd.get(), path.string()));
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, "rmdir", path.string());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ListDir(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, "open", dir.string());
  return ReadNames(fd.get(), dir.string());
}

absl::Status MkdirIfMissing(const std::filesystem::path& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) return ErrnoStatus(errno, "mkdir", dir.string());
  return absl::OkStatus();
}

}  // namespace berth::snapshots::storage
