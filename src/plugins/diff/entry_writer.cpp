#include "plugins/diff/entry_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>

#include "base/status.h"
#include "base/unique_fd.h"
#include "plugins/diff/safe_path.h"

namespace berth::diff {

namespace {

// Out-of-range times become the epoch, as containerd's boundTime does.
struct timespec Bound(struct timespec t) {
  if (t.tv_sec < 0) return {0, 0};
  return t;
}

bool Before(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

absl::Status WriteRegular(const EntryTarget& t, const TarEntry& entry, TarReader& tar, UniqueFd* out) {
  // O_EXCL: whatever was at `name` has been removed, so anything there now is a race we refuse.
  int fd = openat(t.parent_fd, t.name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, "create file", t.where);
  UniqueFd file(fd);
  int64_t end = 0;
  RETURN_IF_ERROR(tar.ReadData([&](int64_t offset, std::string_view data) -> absl::Status {
    while (!data.empty()) {
      ssize_t n = pwrite(file.get(), data.data(), data.size(), offset);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "write", t.where);
      }
      data.remove_prefix(n);
      offset += n;
    }
    end = std::max(end, offset);
    return absl::OkStatus();
  }));
  // A sparse file may end in a hole.
  if (end < entry.size && ftruncate(file.get(), entry.size) != 0) return ErrnoStatus(errno, "truncate", t.where);
  *out = std::move(file);
  return absl::OkStatus();
}

absl::Status Hardlink(const EntryTarget& t, const TarEntry& entry) {
  std::vector<std::string> target = CleanComponents(entry.linkname);
  if (target.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("hardlink {} -> {:?}: the target is the layer root", t.where, entry.linkname));
  }
  std::string base = target.back();
  target.pop_back();
  auto dir = OpenDirInRoot(t.root_fd, target);
  if (!dir.ok()) {
    return WithContext(dir.status(), fmt::format("hardlink {} -> {:?}", t.where, entry.linkname));
  }
  // No AT_SYMLINK_FOLLOW: a link to a symlink is a second symlink, never the file it points at.
  if (linkat(dir->get(), base.c_str(), t.parent_fd, t.name.c_str(), 0) != 0) {
    return ErrnoStatus(errno, "hardlink", fmt::format("{} -> {:?}", t.where, entry.linkname));
  }
  return absl::OkStatus();
}

absl::Status SetXattrs(const EntryTarget& t, const TarEntry& entry, int fd, bool regular_or_dir) {
  for (const auto& [key, value] : entry.xattrs) {
    // containerd refuses trusted.* from archives (it would let a layer forge overlay whiteouts) and skips it.
    if (key.starts_with("trusted.")) continue;
    int rc;
    if (fd >= 0) {
      rc = fsetxattr(fd, key.c_str(), value.data(), value.size(), 0);
    } else {
      // The parent's fd through /proc pins the directory; lsetxattr does not follow the last component.
      std::string path = fmt::format("/proc/self/fd/{}/{}", t.parent_fd, t.name);
      rc = lsetxattr(path.c_str(), key.c_str(), value.data(), value.size(), 0);
    }
    if (rc == 0) continue;
    if (errno == ENOTSUP) continue;
    // user.* is only allowed on regular files and directories.
    if (errno == EPERM && key.starts_with("user.") && !regular_or_dir) continue;
    return ErrnoStatus(errno, fmt::format("setxattr {}", key), t.where);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SetTimes(int parent_fd, const std::string& name, const TarEntry& entry, const std::string& where) {
  struct timespec mtime = Bound(entry.mtime);
  struct timespec atime = Bound(Before(entry.atime, entry.mtime) ? entry.mtime : entry.atime);
  struct timespec times[2] = {atime, mtime};
  if (utimensat(parent_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus(errno, "set times", where);
  }
  return absl::OkStatus();
}

absl::Status CreateEntry(const EntryTarget& t, const TarEntry& entry, TarReader& tar) {
  UniqueFd fd;  // kept open for regular files and directories: metadata then goes through the fd
  bool regular_or_dir = false;
  switch (entry.type) {
    case EntryType::kDirectory: {
      struct stat st;
      bool is_dir = fstatat(t.parent_fd, t.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
      if (!is_dir && mkdirat(t.parent_fd, t.name.c_str(), 0700) != 0) return ErrnoStatus(errno, "mkdir", t.where);
      int dfd = openat(t.parent_fd, t.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (dfd < 0) return ErrnoStatus(errno, "open directory", t.where);
      fd.Reset(dfd);
      regular_or_dir = true;
      break;
    }
    case EntryType::kRegular:
      RETURN_IF_ERROR(WriteRegular(t, entry, tar, &fd));
      regular_or_dir = true;
      break;
    case EntryType::kSymlink:
      if (symlinkat(entry.linkname.c_str(), t.parent_fd, t.name.c_str()) != 0) {
        return ErrnoStatus(errno, "symlink", t.where);
      }
      break;
    case EntryType::kHardlink:
      RETURN_IF_ERROR(Hardlink(t, entry));
      break;
    case EntryType::kCharDevice:
    case EntryType::kBlockDevice:
    case EntryType::kFifo: {
      mode_t type = entry.type == EntryType::kCharDevice  ? S_IFCHR
                    : entry.type == EntryType::kBlockDevice ? S_IFBLK
                                                            : S_IFIFO;
      if (mknodat(t.parent_fd, t.name.c_str(), type | (entry.mode & 07777),
                  makedev(entry.devmajor, entry.devminor)) != 0) {
        return ErrnoStatus(errno, "mknod", t.where);
      }
      break;
    }
    case EntryType::kOther:
      return absl::InvalidArgumentError(fmt::format("unhandled tar entry type for {}", t.where));
  }

  // A hardlink shares its target's inode: its header's metadata lands on that inode, as in containerd.
  struct stat st;
  if (fstatat(t.parent_fd, t.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return ErrnoStatus(errno, "lstat", t.where);
  const bool is_symlink = S_ISLNK(st.st_mode);
  if (entry.type == EntryType::kHardlink) regular_or_dir = S_ISREG(st.st_mode) || S_ISDIR(st.st_mode);

  if (fchownat(t.parent_fd, t.name.c_str(), static_cast<uid_t>(entry.uid), static_cast<gid_t>(entry.gid),
               AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus(errno, fmt::format("lchown {}:{}", entry.uid, entry.gid), t.where);
  }
  RETURN_IF_ERROR(SetXattrs(t, entry, fd.get(), regular_or_dir));
  if (!is_symlink) {
    // Not a symlink (checked above, and we are the only writer under this root), so following is harmless.
    int rc = fd.valid() ? fchmod(fd.get(), entry.mode & 07777)
                        : fchmodat(t.parent_fd, t.name.c_str(), entry.mode & 07777, 0);
    if (rc != 0) return ErrnoStatus(errno, "chmod", t.where);
  }
  return SetTimes(t.parent_fd, t.name, entry, t.where);
}

}  // namespace berth::diff
