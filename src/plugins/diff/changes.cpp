#include "plugins/diff/changes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <vector>
#include <cstring>

#include "base/status.h"
#include "base/unique_fd.h"
#include "plugins/diff/safe_path.h"

namespace berth::diff {

namespace {

using Xattrs = std::vector<std::pair<std::string, std::string>>;

struct Node {
  struct stat st;
  std::string link;  // symlink target
  Xattrs xattrs;
};

bool KeepXattr(const std::string& key) {
  return !key.starts_with("trusted.") && !key.starts_with("system.") && key != "security.selinux";
}

// Attributes of `name` in `dir_fd`, never following it; nullopt if it does not exist.
absl::StatusOr<std::optional<Node>> Lookup(int dir_fd, const std::string& name, const std::string& where) {
  Node n;
  if (fstatat(dir_fd, name.c_str(), &n.st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return std::optional<Node>();
    return ErrnoStatus(errno, "lstat", where);
  }
  if (S_ISLNK(n.st.st_mode)) {
    std::string target(PATH_MAX, '\0');
    ssize_t len = readlinkat(dir_fd, name.c_str(), target.data(), target.size());
    if (len < 0) return ErrnoStatus(errno, "readlink", where);
    target.resize(len);
    n.link = std::move(target);
  }
  // Through the parent's fd, so the lookup cannot wander; l*xattr does not follow the last component.
  const std::string path = fmt::format("/proc/self/fd/{}/{}", dir_fd, name);
  std::string names(64 << 10, '\0');
  ssize_t len = llistxattr(path.c_str(), names.data(), names.size());
  if (len < 0 && errno != ENOTSUP) return ErrnoStatus(errno, "list xattrs", where);
  for (ssize_t i = 0; i < len;) {
    std::string key(names.c_str() + i);
    i += static_cast<ssize_t>(key.size()) + 1;
    if (!KeepXattr(key)) continue;
    std::string value(64 << 10, '\0');
    ssize_t vlen = lgetxattr(path.c_str(), key.c_str(), value.data(), value.size());
    if (vlen < 0) {
      if (errno == ENODATA || errno == ENOTSUP) continue;
      return ErrnoStatus(errno, fmt::format("get xattr {}", key), where);
    }
    value.resize(vlen);
    n.xattrs.emplace_back(std::move(key), std::move(value));
  }
  std::sort(n.xattrs.begin(), n.xattrs.end());
  return std::optional<Node>(std::move(n));
}

absl::StatusOr<bool> SameContent(int a_dir, int b_dir, const std::string& name, const std::string& where) {
  int a = openat(a_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (a < 0) return ErrnoStatus(errno, "open", where);
  UniqueFd fa(a);
  int b = openat(b_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (b < 0) return ErrnoStatus(errno, "open", where);
  UniqueFd fb(b);
  std::string ba(1 << 16, '\0'), bb(1 << 16, '\0');
  while (true) {
    ssize_t na = read(fa.get(), ba.data(), ba.size());
    ssize_t nb = read(fb.get(), bb.data(), bb.size());
    if (na < 0 || nb < 0) return ErrnoStatus(errno, "read", where);
    if (na != nb || std::memcmp(ba.data(), bb.data(), na) != 0) return false;
    if (na == 0) return true;
  }
}

// continuity's sameFile: metadata first; content only when the mtimes carry no sub-second part (a tree
// extracted from a tar has whole seconds, so equal metadata does not prove equal bytes).
absl::StatusOr<bool> Same(const Node& l, const Node& u, int l_dir, int u_dir, const std::string& name,
                          const std::string& where) {
  const struct stat& a = l.st;
  const struct stat& b = u.st;
  if (a.st_dev == b.st_dev && a.st_ino == b.st_ino) return true;
  if (a.st_mode != b.st_mode || a.st_uid != b.st_uid || a.st_gid != b.st_gid || a.st_rdev != b.st_rdev) return false;
  if (!S_ISDIR(a.st_mode) && a.st_size != b.st_size) return false;
  if (a.st_mtim.tv_sec != b.st_mtim.tv_sec || a.st_mtim.tv_nsec != b.st_mtim.tv_nsec) return false;
  if (l.link != u.link || l.xattrs != u.xattrs) return false;
  if (S_ISREG(a.st_mode) && a.st_mtim.tv_nsec == 0) return SameContent(l_dir, u_dir, name, where);
  return true;
}

class ChangeWriter {
 public:
  ChangeWriter(const Context& ctx, TarWriter& tw) : ctx_(ctx), tw_(tw), whiteout_time_(::time(nullptr)) {}

  // Compares directory `rel` of both trees; `l_dir` is -1 when the lower has no directory there.
  absl::Status Compare(int l_dir, int u_dir, const std::string& rel) {
    if (ctx_.Cancelled()) return absl::CancelledError("diff cancelled");
    std::set<std::string> names;
    for (int fd : {l_dir, u_dir}) {
      if (fd < 0) continue;
      ASSIGN_OR_RETURN(auto list, ListDirNames(fd, "/" + rel));
      names.insert(list.begin(), list.end());
    }
    for (const auto& name : names) {
      const std::string child = rel.empty() ? name : rel + "/" + name;
      std::optional<Node> l;
      if (l_dir >= 0) {
        ASSIGN_OR_RETURN(l, Lookup(l_dir, name, child));
      }
      ASSIGN_OR_RETURN(std::optional<Node> u, Lookup(u_dir, name, child));
      if (!u) {
        if (l) RETURN_IF_ERROR(Whiteout(rel, name));
        continue;
      }
      bool modified = true;
      if (l) {
        ASSIGN_OR_RETURN(bool same, Same(*l, *u, l_dir, u_dir, name, child));
        modified = !same;
      }
      if (modified) {
        RETURN_IF_ERROR(Emit(u_dir, name, child, *u));
      } else if (!S_ISDIR(u->st.st_mode)) {
        RETURN_IF_ERROR(Unmodified(child, *u));
      }
      if (S_ISDIR(u->st.st_mode)) {
        ASSIGN_OR_RETURN(UniqueFd sub_u, OpenSub(u_dir, name, child));
        UniqueFd sub_l;
        if (l && S_ISDIR(l->st.st_mode)) {
          ASSIGN_OR_RETURN(sub_l, OpenSub(l_dir, name, child));
        }
        RETURN_IF_ERROR(Compare(sub_l.valid() ? sub_l.get() : -1, sub_u.get(), child));
      }
    }
    return absl::OkStatus();
  }

  void SetUpperRoot(int fd) { upper_root_ = fd; }

 private:
  static absl::StatusOr<UniqueFd> OpenSub(int dir_fd, const std::string& name, const std::string& where) {
    int fd = openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open directory", "/" + where);
    return UniqueFd(fd);
  }

  // containerd's includeParents: every parent of a written entry is written once, from the upper tree.
  absl::Status IncludeParents(const std::string& rel) {
    std::vector<std::string> comps = CleanComponents(rel);
    for (size_t i = 1; i < comps.size(); ++i) {
      std::span<const std::string> prefix(comps.data(), i);
      std::string p = JoinComponents(prefix);
      if (added_dirs_.contains(p)) continue;
      std::vector<std::string> parent(comps.begin(), comps.begin() + i - 1);
      ASSIGN_OR_RETURN(UniqueFd pfd, OpenDirInRoot(upper_root_, parent));
      ASSIGN_OR_RETURN(std::optional<Node> n, Lookup(pfd.get(), comps[i - 1], p));
      if (!n) return absl::NotFoundError(fmt::format("parent /{} vanished during diff", p));
      added_dirs_.insert(p);
      RETURN_IF_ERROR(WriteEntry(pfd.get(), comps[i - 1], p, *n, /*link_to=*/""));
    }
    return absl::OkStatus();
  }

  absl::Status Whiteout(const std::string& rel, const std::string& name) {
    const std::string path = rel.empty() ? ".wh." + name : rel + "/.wh." + name;
    RETURN_IF_ERROR(IncludeParents(path));
    return tw_.WriteHeader({.name = path, .typeflag = '0', .mode = 0, .mtime = whiteout_time_});
  }

  static bool IsHardlinked(const Node& n) { return !S_ISDIR(n.st.st_mode) && n.st.st_nlink > 1; }

  absl::Status Unmodified(const std::string& rel, const Node& n) {
    // An unmodified name of an inode that a changed name also has must still be written, as a link.
    if (!IsHardlinked(n)) return absl::OkStatus();
    auto key = std::make_pair(n.st.st_dev, n.st.st_ino);
    if (auto it = link_sources_.find(key); it != link_sources_.end()) return WriteLink(rel, it->second);
    pending_links_[key].push_back(rel);
    return absl::OkStatus();
  }

  absl::Status WriteLink(const std::string& rel, const std::string& target) {
    RETURN_IF_ERROR(IncludeParents(rel));
    return tw_.WriteHeader({.name = rel, .typeflag = '1', .linkname = target});
  }

  absl::Status Emit(int dir_fd, const std::string& name, const std::string& rel, const Node& n) {
    if (S_ISSOCK(n.st.st_mode)) return absl::OkStatus();  // sockets are not layer content
    RETURN_IF_ERROR(IncludeParents(rel));
    std::string link_to;
    std::vector<std::string> extra_links;
    if (IsHardlinked(n)) {
      auto key = std::make_pair(n.st.st_dev, n.st.st_ino);
      if (auto it = link_sources_.find(key); it != link_sources_.end()) {
        link_to = it->second;
      } else {
        link_sources_[key] = rel;
        if (auto p = pending_links_.find(key); p != pending_links_.end()) {
          extra_links = std::move(p->second);
          pending_links_.erase(p);
        }
      }
    }
    if (S_ISDIR(n.st.st_mode)) {
      if (added_dirs_.contains(rel)) return absl::OkStatus();
      added_dirs_.insert(rel);
    }
    RETURN_IF_ERROR(WriteEntry(dir_fd, name, rel, n, link_to));
    for (const auto& extra : extra_links) RETURN_IF_ERROR(WriteLink(extra, rel));
    return absl::OkStatus();
  }

  absl::Status WriteEntry(int dir_fd, const std::string& name, const std::string& rel, const Node& n,
                          const std::string& link_to) {
    const struct stat& st = n.st;
    TarHeader h{.name = rel, .mode = st.st_mode & 07777, .uid = st.st_uid, .gid = st.st_gid,
                .mtime = st.st_mtim.tv_sec, .xattrs = n.xattrs};
    if (!link_to.empty()) {
      h.typeflag = '1';
      h.linkname = link_to;
      return tw_.WriteHeader(h);
    }
    if (S_ISDIR(st.st_mode)) {
      h.typeflag = '5';
      h.name += '/';
    } else if (S_ISLNK(st.st_mode)) {
      h.typeflag = '2';
      h.linkname = n.link;
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      h.typeflag = S_ISCHR(st.st_mode) ? '3' : '4';
      h.devmajor = major(st.st_rdev);
      h.devminor = minor(st.st_rdev);
    } else if (S_ISFIFO(st.st_mode)) {
      h.typeflag = '6';
    } else if (S_ISREG(st.st_mode)) {
      h.typeflag = '0';
      h.size = st.st_size;
    } else {
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(tw_.WriteHeader(h));
    if (h.typeflag != '0' || h.size == 0) return absl::OkStatus();
    int fd = openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open", "/" + rel);
    UniqueFd file(fd);
    std::string buf(1 << 20, '\0');
    int64_t left = h.size;
    while (left > 0) {
      ssize_t r = read(file.get(), buf.data(), std::min<int64_t>(left, buf.size()));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return ErrnoStatus(errno, "read", "/" + rel);
      if (r == 0) return absl::DataLossError(fmt::format("/{} shrank while the diff was read", rel));
      RETURN_IF_ERROR(tw_.WriteData(std::string_view(buf.data(), r)));
      left -= r;
    }
    return absl::OkStatus();
  }

  const Context& ctx_;
  TarWriter& tw_;
  int64_t whiteout_time_;
  int upper_root_ = -1;
  std::set<std::string> added_dirs_;
  std::map<std::pair<dev_t, ino_t>, std::string> link_sources_;
  std::map<std::pair<dev_t, ino_t>, std::vector<std::string>> pending_links_;
};

}  // namespace

absl::Status WriteChanges(const Context& ctx, const std::string& lower, const std::string& upper, TarWriter& tw) {
  int l = open(lower.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (l < 0) return ErrnoStatus(errno, "open lower tree", lower);
  UniqueFd lower_fd(l);
  int u = open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (u < 0) return ErrnoStatus(errno, "open upper tree", upper);
  UniqueFd upper_fd(u);
  ChangeWriter cw(ctx, tw);
  cw.SetUpperRoot(upper_fd.get());
  RETURN_IF_ERROR(cw.Compare(lower_fd.get(), upper_fd.get(), ""));
  return tw.Close();
}

}  // namespace berth::diff
