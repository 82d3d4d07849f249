#include "fsck/layer_compare.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <set>

#include "base/status.h"
#include "base/unique_fd.h"
#include "digest/digest.h"
#include "fmt/format.h"
#include "plugins/diff/byte_reader.h"
#include "plugins/diff/decompress.h"
#include "plugins/diff/safe_path.h"
#include "plugins/diff/tar_reader.h"

namespace berth::fsck {

namespace {

using diff::EntryType;

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

mode_t TypeBits(EntryType t) {
  switch (t) {
    case EntryType::kRegular:
    case EntryType::kHardlink:
      return S_IFREG;
    case EntryType::kDirectory:
      return S_IFDIR;
    case EntryType::kSymlink:
      return S_IFLNK;
    case EntryType::kCharDevice:
      return S_IFCHR;
    case EntryType::kBlockDevice:
      return S_IFBLK;
    case EntryType::kFifo:
      return S_IFIFO;
    case EntryType::kOther:
      break;
  }
  return 0;
}

// Compares one layer, collecting differences.
class Comparison {
 public:
  Comparison(int root_fd, const CompareOptions& options) : root_fd_(root_fd), options_(options) {}

  absl::Status Entry(const diff::TarEntry& e, diff::TarReader& tar) {
    std::vector<std::string> comps = diff::CleanComponents(e.name);
    if (comps.empty()) return absl::OkStatus();  // the root itself
    std::string base = comps.back();
    std::vector<std::string> parent(comps.begin(), comps.end() - 1);
    for (size_t i = 1; i < comps.size(); ++i) implied_.insert(diff::JoinComponents({comps.data(), i}));
    if (base == kOpaque) return absl::OkStatus();  // an xattr on the directory; not compared
    if (base.starts_with(kWhiteoutPrefix)) {
      comps.back() = base.substr(kWhiteoutPrefix.size());
      const std::string path = diff::JoinComponents(comps);
      seen_.insert(path);
      if (!options_.layer_only) return absl::OkStatus();  // a full copy deleted it: nothing to see
      struct stat st;
      if (!Stat(parent, comps.back(), &st)) {
      Differ(path, "missing (a whiteout)");
      return absl::OkStatus();
    }
      if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(0, 0)) Differ(path, "not a whiteout device");
      return absl::OkStatus();
    }
    const std::string path = diff::JoinComponents(comps);
    seen_.insert(path);
    struct stat st;
    if (!Stat(parent, base, &st)) {
      Differ(path, "missing");
      return absl::OkStatus();
    }
    if ((st.st_mode & S_IFMT) != TypeBits(e.type)) {
      Differ(path, "of another type than the layer's");
      return absl::OkStatus();
    }
    if (e.type == EntryType::kHardlink) {
      struct stat target;
      std::vector<std::string> tcomps = diff::CleanComponents(e.linkname);
      if (tcomps.empty()) return absl::OkStatus();
      std::string tbase = tcomps.back();
      tcomps.pop_back();
      if (!Stat(tcomps, tbase, &target) || target.st_ino != st.st_ino) Differ(path, "not a hard link of " + e.linkname);
      return absl::OkStatus();
    }
    if (e.type != EntryType::kSymlink && (st.st_mode & 07777) != (e.mode & 07777)) {
      Differ(path, fmt::format("mode {:04o}, want {:04o}", st.st_mode & 07777, e.mode & 07777));
    }
    if (st.st_uid != e.uid || st.st_gid != e.gid) {
      Differ(path, fmt::format("owner {}:{}, want {}:{}", st.st_uid, st.st_gid, e.uid, e.gid));
    }
    ASSIGN_OR_RETURN(UniqueFd dir, diff::OpenDirInRoot(root_fd_, parent));
    if (e.type == EntryType::kSymlink) {
      std::string target(4096, '\0');
      ssize_t n = ::readlinkat(dir.get(), base.c_str(), target.data(), target.size());
      if (n < 0 || std::string_view(target.data(), n) != e.linkname) Differ(path, "link target differs from " + e.linkname);
    } else if (e.type == EntryType::kCharDevice || e.type == EntryType::kBlockDevice) {
      if (st.st_rdev != makedev(e.devmajor, e.devminor)) Differ(path, "device numbers differ");
    } else if (e.type == EntryType::kRegular) {
      RETURN_IF_ERROR(CompareContent(e, tar, dir.get(), base, path, st));
    }
    for (const auto& [name, value] : e.xattrs) {
      std::string proc = fmt::format("/proc/self/fd/{}/{}", dir.get(), base);
      std::string got(value.size() + 1, '\0');
      ssize_t n = ::lgetxattr(proc.c_str(), name.c_str(), got.data(), got.size());
      if (n < 0 || std::string_view(got.data(), n) != value) Differ(path, "xattr " + name + " differs");
    }
    return absl::OkStatus();
  }

  // Entries on disk that the layer does not have (overlayfs' own metadata aside).
  absl::Status Extras(int dir_fd, const std::string& prefix) {
    ASSIGN_OR_RETURN(std::vector<std::string> names, diff::ListDirNames(dir_fd, prefix.empty() ? "/" : prefix));
    for (const std::string& name : names) {
      const std::string path = prefix + "/" + name;
      const std::string key = path.substr(1);
      if (!seen_.contains(key) && !implied_.contains(key)) {
        Differ(path, "extra: not in the layer");
        continue;
      }
      struct stat st;
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) continue;
      UniqueFd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child.valid()) return ErrnoStatus(errno, "open", path);
      RETURN_IF_ERROR(Extras(child.get(), path));
    }
    return absl::OkStatus();
  }

  std::vector<Difference> Take() { return std::move(differences_); }

 private:
  bool Stat(const std::vector<std::string>& parent, const std::string& base, struct stat* st) {
    absl::StatusOr<UniqueFd> dir = diff::OpenDirInRoot(root_fd_, parent);
    return dir.ok() && ::fstatat(dir->get(), base.c_str(), st, AT_SYMLINK_NOFOLLOW) == 0;
  }

  absl::Status CompareContent(const diff::TarEntry& e, diff::TarReader& tar, int dir_fd, const std::string& base,
                              const std::string& path, const struct stat& st) {
    if (st.st_size != e.size) {
      Differ(path, fmt::format("size {}, want {}", st.st_size, e.size));
      return absl::OkStatus();
    }
    Sha256 want;
    int64_t end = 0;
    RETURN_IF_ERROR(tar.ReadData([&](int64_t offset, std::string_view data) {
      if (offset > end) want.Update(std::string(offset - end, '\0'));  // a sparse hole reads as zeros
      want.Update(data);
      end = offset + static_cast<int64_t>(data.size());
      return absl::OkStatus();
    }));
    if (end < e.size) want.Update(std::string(e.size - end, '\0'));
    UniqueFd fd(::openat(dir_fd, base.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return ErrnoStatus(errno, "open", path);
    Sha256 got;
    std::string buf(1 << 16, '\0');
    for (ssize_t n; (n = ::read(fd.get(), buf.data(), buf.size())) != 0;) {
      if (n < 0) return ErrnoStatus(errno, "read", path);
      got.Update(buf.data(), n);
    }
    if (got.Finish() != want.Finish()) Differ(path, "content differs");
    return absl::OkStatus();
  }

  void Differ(const std::string& path, std::string what) {
    if (differences_.size() < options_.max_differences) {
      differences_.push_back({.path = path.starts_with("/") ? path : "/" + path, .what = std::move(what)});
    }
  }

  int root_fd_;
  const CompareOptions& options_;
  std::set<std::string> seen_, implied_;
  std::vector<Difference> differences_;
};

}  // namespace

absl::StatusOr<std::vector<Difference>> CompareLayer(content::Store& store, const Context& ctx,
                                                     const oci::Descriptor& layer, const std::string& dir,
                                                     const CompareOptions& options) {
  const std::string what = fmt::format("layer {}", layer.digest.str());
  UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root.valid()) return ErrnoStatus(errno, "open", dir);
  ASSIGN_OR_RETURN(std::unique_ptr<content::Reader> reader, store.OpenReader(ctx, layer.digest));
  diff::ContentByteReader blob(reader.get(), layer.digest.str());
  ASSIGN_OR_RETURN(diff::Compression compression, diff::CompressionOf(layer.media_type));
  ASSIGN_OR_RETURN(std::unique_ptr<diff::ByteReader> plain, diff::OpenDecompressor(compression, &blob, what));
  ASSIGN_OR_RETURN(std::unique_ptr<diff::TarReader> tar, diff::TarReader::Open(plain.get(), what));
  Comparison cmp(root.get(), options);
  diff::TarEntry entry;
  while (true) {
    ASSIGN_OR_RETURN(bool more, tar->Next(&entry));
    if (!more) break;
    RETURN_IF_ERROR(WithContext(cmp.Entry(entry, *tar), what));
  }
  if (options.layer_only) RETURN_IF_ERROR(cmp.Extras(root.get(), ""));
  return cmp.Take();
}

}  // namespace berth::fsck
