#include "plugins/diff/test_util.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/content/testsuite/suite_util.h"
#include "digest/digest.h"
#include "fmt/format.h"

namespace berth::diff::testing {

namespace {
la_ssize_t WriteCallback(struct archive*, void* self, const void* buf, size_t n) {
  static_cast<std::string*>(self)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}
}  // namespace

TarBuilder::TarBuilder() : a_(archive_write_new()) {
  archive_write_set_format_pax_restricted(a_);
  archive_write_open(a_, &out_, nullptr, &WriteCallback, nullptr);
}

TarBuilder::~TarBuilder() { archive_write_free(a_); }

void TarBuilder::Add(const std::string& name, unsigned type, const EntryOpts& o, const std::string& data,
                     const std::string& symlink, const std::string& hardlink, uint32_t major, uint32_t minor) {
  struct archive_entry* e = archive_entry_new();
  archive_entry_copy_pathname(e, name.c_str());
  archive_entry_set_filetype(e, type);
  archive_entry_set_perm(e, o.mode);
  archive_entry_set_uid(e, o.uid);
  archive_entry_set_gid(e, o.gid);
  archive_entry_set_mtime(e, o.mtime, 0);
  archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
  if (!symlink.empty()) archive_entry_copy_symlink(e, symlink.c_str());
  if (!hardlink.empty()) {
    archive_entry_copy_hardlink(e, hardlink.c_str());
    archive_entry_set_size(e, 0);
  }
  if (major != 0 || minor != 0) {
    archive_entry_set_rdevmajor(e, major);
    archive_entry_set_rdevminor(e, minor);
  }
  for (const auto& [k, v] : o.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
  if (archive_write_header(a_, e) < ARCHIVE_WARN) {
    throw std::runtime_error(fmt::format("tar header {}: {}", name, archive_error_string(a_)));
  }
  if (!data.empty()) archive_write_data(a_, data.data(), data.size());
  archive_entry_free(e);
}

TarBuilder& TarBuilder::File(const std::string& name, const std::string& data, EntryOpts o) {
  Add(name, AE_IFREG, o, data, "", "");
  return *this;
}
TarBuilder& TarBuilder::Dir(const std::string& name, EntryOpts o) {
  Add(name, AE_IFDIR, o, "", "", "");
  return *this;
}
TarBuilder& TarBuilder::Symlink(const std::string& name, const std::string& target, EntryOpts o) {
  Add(name, AE_IFLNK, o, "", target, "");
  return *this;
}
TarBuilder& TarBuilder::Hardlink(const std::string& name, const std::string& target, EntryOpts o) {
  Add(name, AE_IFREG, o, "", "", target);
  return *this;
}
TarBuilder& TarBuilder::Device(const std::string& name, bool block, uint32_t major, uint32_t minor,
                               EntryOpts o) {
  Add(name, block ? AE_IFBLK : AE_IFCHR, o, "", "", "", major, minor);
  return *this;
}
TarBuilder& TarBuilder::Fifo(const std::string& name, EntryOpts o) {
  Add(name, AE_IFIFO, o, "", "", "");
  return *this;
}

std::string TarBuilder::Build() {
  archive_write_close(a_);
  return out_;
}

std::string Gzip(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
  return out;
}

TempDir::TempDir() {
  std::string tmpl = "/tmp/berth-diff-test-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {
void Walk(const std::string& root, const std::string& rel, bool with_mtime,
          std::map<std::string, std::string>* out) {
  const std::string path = rel.empty() ? root : root + "/" + rel;
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return;
  std::string type = S_ISDIR(st.st_mode)    ? "dir"
                     : S_ISREG(st.st_mode)  ? "file"
                     : S_ISLNK(st.st_mode)  ? "symlink"
                     : S_ISCHR(st.st_mode)  ? "char"
                     : S_ISBLK(st.st_mode)  ? "block"
                     : S_ISFIFO(st.st_mode) ? "fifo"
                                            : "other";
  std::string desc = fmt::format("{} {:04o} {}:{}", type, st.st_mode & 07777, st.st_uid, st.st_gid);
  if (S_ISREG(st.st_mode)) {
    desc += fmt::format(" size={} {} nlink={}", st.st_size, Digest::Of(ReadFileOrEmpty(path)).str().substr(7, 12),
                        st.st_nlink);
  }
  if (S_ISLNK(st.st_mode)) {
    char buf[4096];
    ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
    desc += " -> " + std::string(buf, n > 0 ? n : 0);
  }
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) desc += fmt::format(" {}:{}", major(st.st_rdev), minor(st.st_rdev));
  char names[4096];
  ssize_t len = llistxattr(path.c_str(), names, sizeof(names));
  std::vector<std::string> keys;
  for (ssize_t i = 0; i < len;) {
    keys.emplace_back(names + i);
    i += keys.back().size() + 1;
  }
  std::sort(keys.begin(), keys.end());
  for (const auto& k : keys) {
    if (k.starts_with("security.selinux")) continue;
    char v[4096];
    ssize_t vn = lgetxattr(path.c_str(), k.c_str(), v, sizeof(v));
    desc += fmt::format(" {}={}", k, std::string(v, vn > 0 ? vn : 0));
  }
  if (with_mtime && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) desc += fmt::format(" mtime={}", st.st_mtim.tv_sec);
  (*out)[rel.empty() ? "." : rel] = desc;
  if (S_ISDIR(st.st_mode)) {
    for (const auto& de : std::filesystem::directory_iterator(path)) {
      std::string name = de.path().filename();
      Walk(root, rel.empty() ? name : rel + "/" + name, with_mtime, out);
    }
  }
}
}  // namespace

std::map<std::string, std::string> ListTree(const std::string& dir, bool with_mtime) {
  std::map<std::string, std::string> out;
  Walk(dir, "", with_mtime, &out);
  return out;
}

void MakeTree(const std::string& dir, const std::map<std::string, std::string>& files) {
  for (const auto& [rel, content] : files) {
    std::filesystem::path p = std::filesystem::path(dir) / rel;
    if (rel.ends_with("/")) {
      std::filesystem::create_directories(p);
      continue;
    }
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
  }
}

absl::StatusOr<oci::Descriptor> PutBlob(content::Store& store, const std::string& blob,
                                        const std::string& media_type) {
  Context ctx{.ns = "test"};
  auto d = content::testing::WriteBlob(store, ctx, "blob-" + Digest::Of(blob).str(), blob);
  if (!d.ok() && !absl::IsAlreadyExists(d.status())) return d.status();
  return oci::Descriptor{.media_type = media_type, .digest = Digest::Of(blob),
                         .size = static_cast<int64_t>(blob.size())};
}

}  // namespace berth::diff::testing
