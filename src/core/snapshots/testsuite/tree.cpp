#include "core/snapshots/testsuite/tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "base/status.h"
#include "base/unique_fd.h"

namespace berth::snapshots::testing {
namespace {

absl::Status WriteFile(const std::filesystem::path& path, const std::string& content, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd.valid()) return ErrnoStatus(errno, "create", path.string());
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0) return ErrnoStatus(errno, "write", path.string());
    done += n;
  }
  if (::fchmod(fd.get(), mode) != 0) return ErrnoStatus(errno, "chmod", path.string());
  return absl::OkStatus();
}

absl::Status ReadAll(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InternalError(fmt::format("read {}", path.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return absl::OkStatus();
}

absl::Status Walk(const std::filesystem::path& root, const std::string& rel, Tree& tree) {
  std::error_code ec;
  std::filesystem::directory_iterator it(rel.empty() ? root : root / rel, ec);
  if (ec) return absl::InternalError(fmt::format("list {}: {}", (root / rel).string(), ec.message()));
  for (const auto& entry : it) {
    std::string name = entry.path().filename().string();
    std::string child = rel.empty() ? name : rel + "/" + name;
    struct stat st;
    if (::lstat(entry.path().c_str(), &st) != 0) return ErrnoStatus(errno, "lstat", entry.path().string());
    TreeEntry e{.mode = st.st_mode, .uid = st.st_uid, .gid = st.st_gid};
    if (S_ISREG(st.st_mode)) {
      RETURN_IF_ERROR(ReadAll(entry.path(), e.content));
    } else if (S_ISLNK(st.st_mode)) {
      e.content = std::filesystem::read_symlink(entry.path(), ec).string();
      if (ec) return absl::InternalError(fmt::format("readlink {}: {}", entry.path().string(), ec.message()));
    }
    tree[child] = e;
    if (S_ISDIR(st.st_mode)) RETURN_IF_ERROR(Walk(root, child, tree));
  }
  return absl::OkStatus();
}

// Ops name paths as containerd's fstest does ("/foo" or "foo"): both are under the root, never the host's /.
std::filesystem::path Under(const std::filesystem::path& root, const std::string& path) {
  size_t start = path.find_first_not_of('/');
  return start == std::string::npos ? root : root / path.substr(start);
}

}  // namespace

TreeOp CreateFile(std::string path, std::string content, mode_t mode) {
  return {.type = TreeOp::Type::kFile, .path = std::move(path), .data = std::move(content), .mode = mode};
}
TreeOp CreateDir(std::string path, mode_t mode) {
  return {.type = TreeOp::Type::kDir, .path = std::move(path), .mode = mode};
}
TreeOp RemoveAll(std::string path) { return {.type = TreeOp::Type::kRemoveAll, .path = std::move(path)}; }
TreeOp Link(std::string existing, std::string path) {
  return {.type = TreeOp::Type::kLink, .path = std::move(path), .data = std::move(existing)};
}
TreeOp Symlink(std::string target, std::string path) {
  return {.type = TreeOp::Type::kSymlink, .path = std::move(path), .data = std::move(target)};
}
TreeOp Chown(std::string path, uid_t uid, gid_t gid) {
  return {.type = TreeOp::Type::kChown, .path = std::move(path), .uid = uid, .gid = gid};
}
TreeOp Rename(std::string from, std::string to) {
  return {.type = TreeOp::Type::kRename, .path = std::move(to), .data = std::move(from)};
}
TreeOp Chmod(std::string path, mode_t mode) {
  return {.type = TreeOp::Type::kChmod, .path = std::move(path), .mode = mode};
}

absl::Status ApplyOps(const TreeOps& ops, const std::filesystem::path& root) {
  for (const TreeOp& op : ops) {
    const std::filesystem::path p = Under(root, op.path);
    std::error_code ec;
    switch (op.type) {
      case TreeOp::Type::kFile:
        RETURN_IF_ERROR(WriteFile(p, op.data, op.mode));
        break;
      case TreeOp::Type::kDir:
        if (::mkdir(p.c_str(), op.mode) != 0 && errno != EEXIST) return ErrnoStatus(errno, "mkdir", p.string());
        if (::chmod(p.c_str(), op.mode) != 0) return ErrnoStatus(errno, "chmod", p.string());
        break;
      case TreeOp::Type::kRemoveAll:
        std::filesystem::remove_all(p, ec);
        if (ec) return absl::InternalError(fmt::format("remove {}: {}", p.string(), ec.message()));
        break;
      case TreeOp::Type::kLink:
        if (::link(Under(root, op.data).c_str(), p.c_str()) != 0) return ErrnoStatus(errno, "link", p.string());
        break;
      case TreeOp::Type::kSymlink:
        if (::symlink(op.data.c_str(), p.c_str()) != 0) return ErrnoStatus(errno, "symlink", p.string());
        break;
      case TreeOp::Type::kChown:
        if (::lchown(p.c_str(), op.uid, op.gid) != 0) return ErrnoStatus(errno, "chown", p.string());
        break;
      case TreeOp::Type::kRename:
        if (::rename(Under(root, op.data).c_str(), p.c_str()) != 0) return ErrnoStatus(errno, "rename", p.string());
        break;
      case TreeOp::Type::kChmod:
        if (::chmod(p.c_str(), op.mode) != 0) return ErrnoStatus(errno, "chmod", p.string());
        break;
    }
  }
  return absl::OkStatus();
}

void PrintTo(const TreeEntry& e, std::ostream* os) {
  *os << fmt::format("{{mode={:o} uid={} gid={} content={:?}}}", e.mode, e.uid, e.gid,
                     e.content.size() > 64 ? e.content.substr(0, 64) + "..." : e.content);
}

absl::StatusOr<Tree> ReadTree(const std::filesystem::path& root) {
  Tree tree;
  RETURN_IF_ERROR(Walk(root, "", tree));
  return tree;
}

std::string DiffTrees(const Tree& want, const Tree& got) {
  std::string out;
  auto show = [](const TreeEntry& e) {
    std::ostringstream os;
    PrintTo(e, &os);
    return os.str();
  };
  for (const auto& [path, e] : want) {
    auto it = got.find(path);
    if (it == got.end()) {
      out += fmt::format("missing {} {}\n", path, show(e));
    } else if (!(it->second == e)) {
      out += fmt::format("differs {}: want {} got {}\n", path, show(e), show(it->second));
    }
  }
  for (const auto& [path, e] : got) {
    if (!want.contains(path)) out += fmt::format("unexpected {} {}\n", path, show(e));
  }
  return out;
}

}  // namespace berth::snapshots::testing
