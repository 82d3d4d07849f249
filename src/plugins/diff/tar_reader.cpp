#include "plugins/diff/tar_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include "base/status.h"

namespace berth::diff {

namespace {
constexpr size_t kReadBuffer = 1 << 20;
}

absl::StatusOr<std::unique_ptr<TarReader>> TarReader::Open(ByteReader* in, std::string what) {
  std::unique_ptr<TarReader> r(new TarReader(in, std::move(what)));
  r->buf_.resize(kReadBuffer);
  r->archive_ = archive_read_new();
  if (r->archive_ == nullptr) return absl::ResourceExhaustedError("libarchive: out of memory");
  // Only tar (ustar, pax, gnu); layers are decompressed before they get here, so no filters.
  archive_read_support_format_tar(r->archive_);
  if (archive_read_open(r->archive_, r.get(), nullptr, &TarReader::ReadCallback, nullptr) != ARCHIVE_OK) {
    return r->Error("open tar stream");
  }
  return r;
}

TarReader::~TarReader() {
  if (archive_ != nullptr) archive_read_free(archive_);
}

ssize_t TarReader::ReadCallback(struct archive* a, void* self, const void** buf) {
  auto* r = static_cast<TarReader*>(self);
  auto n = r->in_->Read(std::span<char>(r->buf_.data(), r->buf_.size()));
  if (!n.ok()) {
    r->source_status_ = n.status();
    archive_set_error(a, EIO, "%s", std::string(n.status().message()).c_str());
    return -1;
  }
  *buf = r->buf_.data();
  return static_cast<ssize_t>(*n);
}

absl::Status TarReader::Error(std::string_view op) {
  if (!source_status_.ok()) return source_status_;
  const char* msg = archive_error_string(archive_);
  return absl::InvalidArgumentError(
      fmt::format("{} of layer {}: {}", op, what_, msg != nullptr ? msg : "malformed tar archive"));
}

absl::StatusOr<bool> TarReader::Next(TarEntry* out) {
  struct archive_entry* e = nullptr;
  int rc = archive_read_next_header(archive_, &e);
  if (rc == ARCHIVE_EOF) return false;
  // ARCHIVE_WARN is a recoverable oddity (e.g. a name that does not convert to the locale): keep going.
  if (rc < ARCHIVE_WARN) return Error("read tar header");

  TarEntry entry;
  const char* name = archive_entry_pathname(e);
  if (name == nullptr) name = archive_entry_pathname_utf8(e);
  if (name == nullptr) return Error("read tar entry name");
  entry.name = name;
  entry.mode = archive_entry_perm(e) & 07777;
  entry.uid = archive_entry_uid(e);
  entry.gid = archive_entry_gid(e);
  entry.size = archive_entry_size(e);
  entry.mtime = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
  if (archive_entry_atime_is_set(e)) entry.atime = {archive_entry_atime(e), archive_entry_atime_nsec(e)};
  if (const char* hl = archive_entry_hardlink(e); hl != nullptr) {
    entry.type = EntryType::kHardlink;
    entry.linkname = hl;
  } else {
    switch (archive_entry_filetype(e)) {
      case AE_IFREG: entry.type = EntryType::kRegular; break;
      case AE_IFDIR: entry.type = EntryType::kDirectory; break;
      case AE_IFLNK: {
        entry.type = EntryType::kSymlink;
        const char* target = archive_entry_symlink(e);
        if (target == nullptr) target = archive_entry_symlink_utf8(e);
        entry.linkname = target != nullptr ? target : "";
        break;
      }
      case AE_IFCHR: entry.type = EntryType::kCharDevice; break;
      case AE_IFBLK: entry.type = EntryType::kBlockDevice; break;
      case AE_IFIFO: entry.type = EntryType::kFifo; break;
      default: entry.type = EntryType::kOther; break;
    }
  }
  if (entry.type == EntryType::kCharDevice || entry.type == EntryType::kBlockDevice) {
    entry.devmajor = archive_entry_rdevmajor(e);
    entry.devminor = archive_entry_rdevminor(e);
  }
  if (archive_entry_xattr_reset(e) > 0) {
    const char* xname;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
      entry.xattrs.emplace_back(xname, std::string(static_cast<const char*>(value), size));
    }
  }
  *out = std::move(entry);
  return true;
}

absl::Status TarReader::ReadData(const std::function<absl::Status(int64_t, std::string_view)>& fn) {
  while (true) {
    const void* block;
    size_t size;
    la_int64_t offset;
    int rc = archive_read_data_block(archive_, &block, &size, &offset);
    if (rc == ARCHIVE_EOF) return absl::OkStatus();
    if (rc < ARCHIVE_WARN) return Error("read tar entry data");
    if (size > 0) RETURN_IF_ERROR(fn(offset, std::string_view(static_cast<const char*>(block), size)));
  }
}

}  // namespace berth::diff
