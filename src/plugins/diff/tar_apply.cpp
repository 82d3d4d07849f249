#include "plugins/diff/tar_apply.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <tuple>

#include "base/status.h"
#include "base/unique_fd.h"
#include "plugins/diff/entry_writer.h"
#include "plugins/diff/safe_path.h"

namespace berth::diff {

namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

// A path written by this layer, identified by (parent directory inode, name) so that two spellings of one
// place (through a symlinked parent) are the same path.
using WrittenKey = std::tuple<dev_t, ino_t, std::string>;

absl::StatusOr<WrittenKey> KeyOf(int parent_fd, const std::string& name, const std::string& where) {
  struct stat st;
  if (fstat(parent_fd, &st) != 0) return ErrnoStatus(errno, "stat parent of", where);
  return WrittenKey{st.st_dev, st.st_ino, name};
}

// Copies a lower directory's owner, mode, times and non-trusted xattrs onto `dir_fd` (containerd's
// copyDirInfo + copyUpXAttrs). `lower_fd` is an O_PATH fd of a directory.
absl::Status CopyDirInfo(int lower_fd, int dir_fd, const std::string& where) {
  int fd = openat(lower_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open lower directory for", where);
  UniqueFd lower(fd);
  struct stat st;
  if (fstat(lower.get(), &st) != 0) return ErrnoStatus(errno, "stat lower directory for", where);
  if (fchown(dir_fd, st.st_uid, st.st_gid) != 0) return ErrnoStatus(errno, "chown", where);
  if (fchmod(dir_fd, st.st_mode & 07777) != 0) return ErrnoStatus(errno, "chmod", where);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (futimens(dir_fd, times) != 0) return ErrnoStatus(errno, "set times", where);

  std::string names(4096, '\0');
  ssize_t len = flistxattr(lower.get(), names.data(), names.size());
  if (len < 0 && errno == ERANGE) {
    len = flistxattr(lower.get(), nullptr, 0);
    if (len > 0) {
      names.resize(len);
      len = flistxattr(lower.get(), names.data(), names.size());
    }
  }
  if (len < 0) {
    if (errno == ENOTSUP) return absl::OkStatus();
    return ErrnoStatus(errno, "list xattrs of lower directory for", where);
  }
  for (size_t i = 0; i < static_cast<size_t>(len);) {
    std::string key(names.c_str() + i);
    i += key.size() + 1;
    if (key.empty() || key.starts_with("trusted.")) continue;
    std::string value(64 << 10, '\0');
    ssize_t vlen = fgetxattr(lower.get(), key.c_str(), value.data(), value.size());
    if (vlen < 0) {
      if (errno == ENOTSUP || errno == ENODATA) continue;
      return ErrnoStatus(errno, fmt::format("get xattr {} of lower directory for", key), where);
    }
    if (fsetxattr(dir_fd, key.c_str(), value.data(), vlen, XATTR_CREATE) != 0 && errno != EEXIST &&
        errno != ENOTSUP && errno != ENODATA) {
      return ErrnoStatus(errno, fmt::format("set xattr {}", key), where);
    }
  }
  return absl::OkStatus();
}

// The attributes of the first lower (topmost first) that has `path` as a directory onto dir_fd.
absl::Status CopyFromLowers(const std::vector<UniqueFd>& lowers, int dir_fd, std::span<const std::string> path) {
  const std::string where = "/" + JoinComponents(path);
  for (const auto& lower : lowers) {
    auto fd = OpenPathInRoot(lower.get(), path);
    if (!fd.ok()) {
      if (absl::IsNotFound(fd.status())) continue;
      return fd.status();
    }
    struct stat st;
    if (fstat(fd->get(), &st) != 0) return ErrnoStatus(errno, "stat lower of", where);
    if (!S_ISDIR(st.st_mode)) return absl::OkStatus();  // replaced: keep the defaults
    return CopyDirInfo(fd->get(), dir_fd, where);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<UniqueFd>> OpenLowers(const std::vector<std::string>& paths) {
  std::vector<UniqueFd> lowers;
  for (const auto& p : paths) {
    int fd = open(p.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open lower directory", p);
    lowers.emplace_back(fd);
  }
  return lowers;
}

class LayerApplier {
 public:
  LayerApplier(const Context& ctx, TarReader& tar, int root_fd, const TarApplyOptions& opts)
      : ctx_(ctx), tar_(tar), root_fd_(root_fd), opts_(opts) {}

  absl::Status Init() {
    ASSIGN_OR_RETURN(lowers_, OpenLowers(opts_.parents));
    return absl::OkStatus();
  }

  absl::Status Run() {
    TarEntry entry;
    while (true) {
      if (ctx_.Cancelled()) return absl::CancelledError("layer apply cancelled");
      ASSIGN_OR_RETURN(bool more, tar_.Next(&entry));
      if (!more) break;
      RETURN_IF_ERROR(ApplyEntry(entry));
    }
    // Directory times last: creating their children changed them.
    for (const auto& [comps, dir_entry] : dirs_) {
      std::vector<std::string> parent(comps.begin(), comps.end() - 1);
      const std::string where = "/" + JoinComponents(comps);
      auto parent_fd = OpenDirInRoot(root_fd_, parent);
      if (!parent_fd.ok()) return WithContext(parent_fd.status(), fmt::format("set times of {}", where));
      RETURN_IF_ERROR(SetTimes(parent_fd->get(), comps.back(), dir_entry, where));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status ApplyEntry(const TarEntry& entry) {
    std::vector<std::string> comps = CleanComponents(entry.name);
    if (comps.empty()) return absl::OkStatus();  // resolves to the root: ignored, as containerd does
    const std::string name = comps.back();
    const std::string where = "/" + JoinComponents(comps);
    std::span<const std::string> parent(comps.data(), comps.size() - 1);

    if (name.starts_with(kWhiteoutPrefix) && name != kOpaqueMarker) {
      std::string original = name.substr(kWhiteoutPrefix.size());
      if (original.empty() || original == "." || original == "..") {
        return absl::InvalidArgumentError(
            fmt::format("invalid whiteout name {:?} in layer entry {:?}", name, entry.name));
      }
    }

    ASSIGN_OR_RETURN(UniqueFd parent_fd, MkdirAllInRoot(root_fd_, parent, [&](int fd, auto path) {
                       if (opts_.implied_dirs != nullptr) opts_.implied_dirs->push_back(JoinComponents(path));
                       return CopyParentInfo(fd, path);
                     }));

    if (name == kOpaqueMarker) return Opaque(parent_fd.get(), where);
    if (name.starts_with(kWhiteoutPrefix)) {
      return Whiteout(parent_fd.get(), name.substr(kWhiteoutPrefix.size()), entry, where);
    }

    // Replace what is there, except a directory over a directory, which merges.
    struct stat st;
    if (fstatat(parent_fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (!(S_ISDIR(st.st_mode) && entry.type == EntryType::kDirectory)) {
        RETURN_IF_ERROR(RemoveAllAt(parent_fd.get(), name, where));
      }
    } else if (errno != ENOENT) {
      return ErrnoStatus(errno, "lstat", where);
    }

    absl::Status s = CreateEntry({root_fd_, parent_fd.get(), name, where}, entry, tar_);
    if (!s.ok()) return WithContext(s, fmt::format("apply layer entry {:?}", entry.name));
    if (entry.type == EntryType::kDirectory) {
      dirs_.emplace_back(comps, entry);
      if (opts_.implied_dirs != nullptr) std::erase(*opts_.implied_dirs, JoinComponents(comps));  // has its own
    }
    if (opts_.whiteouts == WhiteoutMode::kRemove) {
      ASSIGN_OR_RETURN(WrittenKey key, KeyOf(parent_fd.get(), name, where));
      written_.insert(std::move(key));
    }
    return absl::OkStatus();
  }

  absl::Status Opaque(int dir_fd, const std::string& where) {
    if (opts_.whiteouts == WhiteoutMode::kOverlay) {
      if (fsetxattr(dir_fd, "trusted.overlay.opaque", "y", 1, 0) != 0) {
        return ErrnoStatus(errno, "set trusted.overlay.opaque on the parent of", where);
      }
      return absl::OkStatus();
    }
    return RemoveChildrenExcept(
        dir_fd,
        [&](int fd, const std::string& child) {
          auto key = KeyOf(fd, child, where);
          return key.ok() && written_.contains(*key);
        },
        where);
  }

  absl::Status Whiteout(int dir_fd, const std::string& original, const TarEntry& entry, const std::string& where) {
    if (opts_.whiteouts == WhiteoutMode::kRemove) return RemoveAllAt(dir_fd, original, where);
    if (mknodat(dir_fd, original.c_str(), S_IFCHR, 0) != 0) return ErrnoStatus(errno, "create whiteout", where);
    if (fchownat(dir_fd, original.c_str(), static_cast<uid_t>(entry.uid), static_cast<gid_t>(entry.gid),
                 AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus(errno, "chown whiteout", where);
    }
    return absl::OkStatus();
  }

  absl::Status CopyParentInfo(int dir_fd, std::span<const std::string> path) {
    return CopyFromLowers(lowers_, dir_fd, path);
  }

  const Context& ctx_;
  TarReader& tar_;
  int root_fd_;
  const TarApplyOptions& opts_;
  std::vector<UniqueFd> lowers_;
  std::vector<std::pair<std::vector<std::string>, TarEntry>> dirs_;
  std::set<WrittenKey> written_;
};

}  // namespace

absl::Status InheritImpliedDirs(const std::string& root, const std::vector<std::string>& implied,
                                const std::vector<std::string>& lowers) {
  if (implied.empty() || lowers.empty()) return absl::OkStatus();
  int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open layer root", root);
  UniqueFd root_fd(fd);
  ASSIGN_OR_RETURN(std::vector<UniqueFd> lower_fds, OpenLowers(lowers));
  for (const std::string& path : implied) {
    std::vector<std::string> comps = CleanComponents(path);
    ASSIGN_OR_RETURN(UniqueFd dir, OpenDirInRoot(root_fd.get(), comps));
    RETURN_IF_ERROR(CopyFromLowers(lower_fds, dir.get(), comps));
  }
  return absl::OkStatus();
}

absl::Status ApplyTar(const Context& ctx, TarReader& tar, const std::string& root, const TarApplyOptions& opts) {
  int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open layer root", root);
  UniqueFd root_fd(fd);
  LayerApplier applier(ctx, tar, root_fd.get(), opts);
  RETURN_IF_ERROR(applier.Init());
  return applier.Run();
}

}  // namespace berth::diff
