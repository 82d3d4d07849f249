#include "plugins/diff/safe_path.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "base/status.h"

namespace berth::diff {

namespace {

constexpr int kMaxSymlinkRewrites = 40;  // the kernel's own limit on symlinks in one lookup

int OpenAt2(int dir_fd, const std::string& path, uint64_t flags, uint64_t resolve) {
  struct open_how how {};
  how.flags = flags | O_CLOEXEC;
  how.resolve = resolve;
  while (true) {
    int fd = static_cast<int>(syscall(SYS_openat2, dir_fd, path.c_str(), &how, sizeof(how)));
    // RESOLVE_IN_ROOT answers EAGAIN when a rename raced with the lookup; it is safe to retry.
    if (fd < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    return fd;
  }
}

std::string PathArg(std::span<const std::string> comps) {
  return comps.empty() ? std::string(".") : JoinComponents(comps);
}

// Closes a DIR* (which owns its fd) at scope exit.
struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};
using UniqueDir = std::unique_ptr<DIR, DirCloser>;

// The slow path of both lookups: one component at a time from the root, each opened with O_NOFOLLOW. A symlink
// is replaced by its target cleaned lexically (Go's filepath.Join, as containerd's fs.RootPath does), so
// "missing/../x" targets and dangling links behave as in containerd; ".." never climbs above the root.
absl::StatusOr<UniqueFd> WalkInRoot(int root_fd, std::span<const std::string> comps_in, bool create,
                                    const DirCreatedFn& on_created) {
  std::vector<std::string> comps(comps_in.begin(), comps_in.end());
  for (int rewrites = 0; rewrites <= kMaxSymlinkRewrites; ++rewrites) {
    int root_copy = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_copy < 0) return ErrnoStatus(errno, "open", "the layer root");
    UniqueFd cur(root_copy);
    bool restarted = false;
    for (size_t i = 0; i < comps.size(); ++i) {
      std::span<const std::string> prefix(comps.data(), i + 1);
      int fd = openat(cur.get(), comps[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) {
        cur.Reset(fd);
        continue;
      }
      const std::string path = "/" + JoinComponents(prefix);
      struct stat st;
      if (fstatat(cur.get(), comps[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISLNK(st.st_mode)) return absl::FailedPreconditionError(fmt::format("{}: not a directory", path));
        std::string target(PATH_MAX, '\0');
        ssize_t n = readlinkat(cur.get(), comps[i].c_str(), target.data(), target.size());
        if (n < 0) return ErrnoStatus(errno, "readlink", path);
        target.resize(n);
        std::string joined = target.starts_with("/")
                                 ? target
                                 : JoinComponents(std::span<const std::string>(comps.data(), i)) + "/" + target;
        std::vector<std::string> rewritten = CleanComponents(joined);
        rewritten.insert(rewritten.end(), comps.begin() + i + 1, comps.end());
        comps = std::move(rewritten);
        restarted = true;
        break;
      }
      if (errno != ENOENT) return ErrnoStatus(errno, "lstat", path);
      if (!create) return ErrnoStatus(ENOENT, "open directory", path);
      if (mkdirat(cur.get(), comps[i].c_str(), 0755) != 0 && errno != EEXIST) {
        return ErrnoStatus(errno, "mkdir", path);
      }
      fd = openat(cur.get(), comps[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) return ErrnoStatus(errno, "open directory", path);
      UniqueFd created(fd);
      // mkdir obeys the umask; the mode must be exactly 0755 as containerd's mkdir+chmod makes it.
      if (fchmod(created.get(), 0755) != 0) return ErrnoStatus(errno, "chmod", path);
      if (on_created) RETURN_IF_ERROR(on_created(created.get(), prefix));
      cur = std::move(created);
    }
    if (!restarted) return cur;
  }
  return absl::InvalidArgumentError(
      fmt::format("/{}: too many levels of symbolic links", JoinComponents(comps_in)));
}

}  // namespace

std::vector<std::string> CleanComponents(std::string_view name) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= name.size()) {
    size_t slash = name.find('/', i);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view c = name.substr(i, slash - i);
    if (c == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!c.empty() && c != ".") {
      out.emplace_back(c);
    }
    i = slash + 1;
  }
  return out;
}

std::string JoinComponents(std::span<const std::string> comps) {
  std::string out;
  for (const auto& c : comps) {
    if (!out.empty()) out += '/';
    out += c;
  }
  return out;
}

absl::StatusOr<UniqueFd> OpenDirInRoot(int root_fd, std::span<const std::string> comps) {
  int fd = OpenAt2(root_fd, PathArg(comps), O_RDONLY | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd >= 0) return UniqueFd(fd);
  if (errno != ENOENT && errno != ENOTDIR) return ErrnoStatus(errno, "open directory", "/" + JoinComponents(comps));
  return WalkInRoot(root_fd, comps, /*create=*/false, nullptr);
}

absl::StatusOr<UniqueFd> OpenPathInRoot(int root_fd, std::span<const std::string> comps) {
  int fd = OpenAt2(root_fd, PathArg(comps), O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) return ErrnoStatus(errno, "open", "/" + JoinComponents(comps));
  return UniqueFd(fd);
}

absl::StatusOr<UniqueFd> MkdirAllInRoot(int root_fd, std::span<const std::string> comps,
                                        const DirCreatedFn& on_created) {
  // Fast path: the parent usually exists already.
  int fd = OpenAt2(root_fd, PathArg(comps), O_RDONLY | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd >= 0) return UniqueFd(fd);
  if (errno != ENOENT && errno != ENOTDIR) return ErrnoStatus(errno, "open directory", "/" + JoinComponents(comps));
  return WalkInRoot(root_fd, comps, /*create=*/true, on_created);
}

absl::StatusOr<std::vector<std::string>> ListDirNames(int dir_fd, std::string_view what) {
  int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open directory", what);
  UniqueDir dir(fdopendir(fd));
  if (!dir) {
    int err = errno;
    close(fd);
    return ErrnoStatus(err, "read directory", what);
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* de = readdir(dir.get())) {
    std::string_view n = de->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
    errno = 0;
  }
  if (errno != 0) return ErrnoStatus(errno, "read directory", what);
  return names;
}

absl::Status RemoveAllAt(int dir_fd, const std::string& name, std::string_view what) {
  struct stat st;
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus(errno, "lstat", what);
  }
  if (S_ISDIR(st.st_mode)) {
    int fd = openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open directory", what);
    UniqueFd dir(fd);
    RETURN_IF_ERROR(RemoveChildrenExcept(dir.get(), [](int, const std::string&) { return false; }, what));
    if (unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, "rmdir", what);
    }
    return absl::OkStatus();
  }
  if (unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) return ErrnoStatus(errno, "unlink", what);
  return absl::OkStatus();
}

absl::Status RemoveChildrenExcept(int dir_fd, const std::function<bool(int, const std::string&)>& keep,
                                  std::string_view what) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirNames(dir_fd, what));
  for (const auto& n : names) {
    const std::string child = fmt::format("{}/{}", what, n);
    if (!keep(dir_fd, n)) {
      RETURN_IF_ERROR(RemoveAllAt(dir_fd, n, child));
      continue;
    }
    struct stat st;
    if (fstatat(dir_fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return ErrnoStatus(errno, "lstat", child);
    if (!S_ISDIR(st.st_mode)) continue;
    int fd = openat(dir_fd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open directory", child);
    UniqueFd sub(fd);
    RETURN_IF_ERROR(RemoveChildrenExcept(sub.get(), keep, child));
  }
  return absl::OkStatus();
}

}  // namespace berth::diff
