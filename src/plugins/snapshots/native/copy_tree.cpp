#include "plugins/snapshots/native/copy_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"

namespace berth::snapshots {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// Copying state for one tree: where each multiply-linked inode was first copied to.
struct Copier {
  int dst_root = -1;
  std::string src_root;
  std::map<std::pair<dev_t, ino_t>, std::string> first_copy;  // (dev, ino) → path relative to dst_root
};

std::string Join(const std::string& rel, const std::string& name) { return rel.empty() ? name : rel + "/" + name; }

// A path naming `name` inside the directory open as `dirfd`, for the *xattr calls that have no *at variant;
// the l* variants do not follow `name` itself.
std::string ProcPath(int dirfd, const std::string& name) {
  return name.empty() ? fmt::format("/proc/self/fd/{}", dirfd) : fmt::format("/proc/self/fd/{}/{}", dirfd, name);
}

absl::StatusOr<std::vector<std::string>> ReadNames(int fd, const std::string& what) {
  int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return ErrnoStatus(errno, "dup", what);
  DIR* dir = ::fdopendir(dup);
  if (dir == nullptr) {
    int err = errno;
    ::close(dup);
    return ErrnoStatus(err, "fdopendir", what);
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(dir)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) return ErrnoStatus(err, "readdir", what);
  return names;
}

// Copies every extended attribute of src_path to dst_path (both /proc/self/fd paths, see ProcPath).
absl::Status CopyXattrs(const std::string& src_path, const std::string& dst_path, bool follow,
                        const std::string& what) {
  auto list = follow ? ::listxattr : ::llistxattr;
  auto get = follow ? ::getxattr : ::lgetxattr;
  auto set = follow ? ::setxattr : ::lsetxattr;
  ssize_t size = list(src_path.c_str(), nullptr, 0);
  if (size < 0) {
    if (errno == ENOTSUP) return absl::OkStatus();
    return ErrnoStatus(errno, "list xattrs of", what);
  }
  std::string names(size, '\0');
  size = list(src_path.c_str(), names.data(), names.size());
  if (size < 0) return ErrnoStatus(errno, "list xattrs of", what);
  names.resize(size);
  for (size_t start = 0; start < names.size();) {
    std::string name(names.c_str() + start);
    start += name.size() + 1;
    if (name.empty()) continue;
    ssize_t vsize = get(src_path.c_str(), name.c_str(), nullptr, 0);
    if (vsize < 0) {
      if (errno == ENODATA) continue;  // removed meanwhile
      return ErrnoStatus(errno, fmt::format("get xattr {} of", name), what);
    }
    std::string value(vsize, '\0');
    vsize = get(src_path.c_str(), name.c_str(), value.data(), value.size());
    if (vsize < 0) return ErrnoStatus(errno, fmt::format("get xattr {} of", name), what);
    value.resize(vsize);
    if (set(dst_path.c_str(), name.c_str(), value.data(), value.size(), 0) != 0) {
      int err = errno;
      if (name.starts_with("security.") && (err == ENOTSUP || err == EPERM || err == EINVAL)) {
        IgnoreError(ErrnoStatus(err, "set xattr", name), "containerd skips security.* the target refuses");
        continue;
      }
      return ErrnoStatus(err, fmt::format("set xattr {} on copy of", name), what);
    }
  }
  return absl::OkStatus();
}

// Owner, mode, xattrs, then times (chown clears setuid bits and capabilities, so it goes first; times go
// last because setting xattrs does not touch mtime but every earlier step may).
absl::Status CopyMetadata(int src_dir, int dst_dir, const std::string& name, const struct stat& st,
                          const std::string& what) {
  const char* n = name.empty() ? "" : name.c_str();
  const int at_flags = AT_SYMLINK_NOFOLLOW | (name.empty() ? AT_EMPTY_PATH : 0);
  if (::fchownat(dst_dir, n, st.st_uid, st.st_gid, at_flags) != 0) return ErrnoStatus(errno, "chown copy of", what);
  if (!S_ISLNK(st.st_mode)) {
    // fchmodat has no working AT_SYMLINK_NOFOLLOW; `name` is not a symlink (we just created it).
    int rc = name.empty() ? ::fchmod(dst_dir, st.st_mode & 07777) : ::fchmodat(dst_dir, n, st.st_mode & 07777, 0);
    if (rc != 0) return ErrnoStatus(errno, "chmod copy of", what);
  }
  RETURN_IF_ERROR(CopyXattrs(ProcPath(src_dir, name), ProcPath(dst_dir, name), name.empty(), what));
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  int rc = name.empty() ? ::futimens(dst_dir, times) : ::utimensat(dst_dir, n, times, AT_SYMLINK_NOFOLLOW);
  if (rc != 0) return ErrnoStatus(errno, "set times of copy of", what);
  return absl::OkStatus();
}

absl::Status CopyFileData(int src, int dst, const std::string& what) {
  bool use_read = false;
  while (!use_read) {
    ssize_t n = ::copy_file_range(src, nullptr, dst, nullptr, size_t{1} << 30, 0);
    if (n == 0) return absl::OkStatus();
    if (n > 0) continue;
    if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP) {
      use_read = true;
    } else if (errno != EINTR) {
      return ErrnoStatus(errno, "copy data of", what);
    }
  }
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(src, buf.data(), buf.size());
    if (n == 0) return absl::OkStatus();
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "read", what);
    }
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(dst, buf.data() + done, n - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "write copy of", what);
      }
      done += w;
    }
  }
}

absl::Status CopyRegular(int src_dir, int dst_dir, const std::string& name, const struct stat& st,
                         const std::string& what) {
  UniqueFd src(::openat(src_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!src.valid()) return ErrnoStatus(errno, "open", what);
  UniqueFd dst(::openat(dst_dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!dst.valid()) return ErrnoStatus(errno, "create copy of", what);
  return CopyFileData(src.get(), dst.get(), what);
}

absl::Status CopyDir(Copier& c, int src_dir, int dst_dir, const std::string& rel) {
  const std::string dir_what = c.src_root + (rel.empty() ? "" : "/" + rel);
  ASSIGN_OR_RETURN(std::vector<std::string> names, ReadNames(src_dir, dir_what));
  for (const std::string& name : names) {
    const std::string child = Join(rel, name);
    const std::string what = c.src_root + "/" + child;
    struct stat st;
    if (::fstatat(src_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return ErrnoStatus(errno, "stat", what);
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(dst_dir, name.c_str(), 0700) != 0) return ErrnoStatus(errno, "mkdir copy of", what);
      UniqueFd sub_src(::openat(src_dir, name.c_str(), kDirFlags));
      if (!sub_src.valid()) return ErrnoStatus(errno, "open", what);
      UniqueFd sub_dst(::openat(dst_dir, name.c_str(), kDirFlags));
      if (!sub_dst.valid()) return ErrnoStatus(errno, "open copy of", what);
      RETURN_IF_ERROR(CopyDir(c, sub_src.get(), sub_dst.get(), child));
      RETURN_IF_ERROR(CopyMetadata(src_dir, dst_dir, name, st, what));
      continue;
    }
    // Only regular files keep their hard links, as containerd's fs.CopyDir: a hard-linked symlink or device is
    // copied as separate entries, so both runtimes give identical trees.
    if (st.st_nlink > 1 && S_ISREG(st.st_mode)) {
      auto [it, first] = c.first_copy.emplace(std::make_pair(st.st_dev, st.st_ino), child);
      if (!first) {
        if (::linkat(c.dst_root, it->second.c_str(), dst_dir, name.c_str(), 0) != 0) {
          return ErrnoStatus(errno, fmt::format("hard link (to {}) copy of", it->second), what);
        }
        continue;
      }
    }
    if (S_ISREG(st.st_mode)) {
      RETURN_IF_ERROR(CopyRegular(src_dir, dst_dir, name, st, what));
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(st.st_size > 0 ? st.st_size + 1 : 4096, '\0');
      ssize_t n = ::readlinkat(src_dir, name.c_str(), target.data(), target.size());
      if (n < 0) return ErrnoStatus(errno, "readlink", what);
      if (static_cast<size_t>(n) >= target.size()) {
        return absl::InternalError(fmt::format("readlink {}: target changed size while copying", what));
      }
      target.resize(n);
      if (::symlinkat(target.c_str(), dst_dir, name.c_str()) != 0) return ErrnoStatus(errno, "symlink copy of", what);
    } else if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      if (::mknodat(dst_dir, name.c_str(), (st.st_mode & S_IFMT) | 0600, st.st_rdev) != 0) {
        return ErrnoStatus(errno, "mknod copy of", what);
      }
    } else {
      return absl::InvalidArgumentError(fmt::format("copy {}: unknown file type {:o}", what, st.st_mode & S_IFMT));
    }
    RETURN_IF_ERROR(CopyMetadata(src_dir, dst_dir, name, st, what));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CopyTree(const std::filesystem::path& src, const std::filesystem::path& dst) {
  UniqueFd src_fd(::open(src.c_str(), kDirFlags));
  if (!src_fd.valid()) return ErrnoStatus(errno, "open", src.string());
  UniqueFd dst_fd(::open(dst.c_str(), kDirFlags));
  if (!dst_fd.valid()) return ErrnoStatus(errno, "open", dst.string());
  struct stat st;
  if (::fstat(src_fd.get(), &st) != 0) return ErrnoStatus(errno, "stat", src.string());
  Copier c{.dst_root = dst_fd.get(), .src_root = src.string()};
  RETURN_IF_ERROR(CopyDir(c, src_fd.get(), dst_fd.get(), ""));
  return CopyMetadata(src_fd.get(), dst_fd.get(), "", st, src.string());
}

}  // namespace berth::snapshots
