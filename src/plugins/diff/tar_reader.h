// Tar headers and PAX records parsed by libarchive from a stream. libarchive only parses here: it never
// touches the file system, so every write goes through our path-safe extraction.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "plugins/diff/byte_reader.h"

struct archive;

namespace berth::diff {

enum class EntryType { kRegular, kDirectory, kSymlink, kHardlink, kCharDevice, kBlockDevice, kFifo, kOther };

struct TarEntry {
  std::string name;  // as in the archive: may be absolute, hold "..", or end in "/"
  EntryType type = EntryType::kOther;
  uint32_t mode = 0;  // permission bits with setuid, setgid and sticky (07777)
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t size = 0;
  struct timespec mtime {};
  struct timespec atime {};  // {0,0} when the header has none
  std::string linkname;      // symlink target, or hardlink target (a name in the archive)
  uint32_t devmajor = 0;
  uint32_t devminor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;  // from PAX SCHILY.xattr.*
};

class TarReader {
 public:
  // `in` is not owned and must outlive the reader.
  static absl::StatusOr<std::unique_ptr<TarReader>> Open(ByteReader* in, std::string what);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  // The next header; false at the end of the archive. An entry's data not read is skipped.
  absl::StatusOr<bool> Next(TarEntry* entry);
  // Calls `fn(offset, bytes)` for the current entry's data blocks; offsets skip holes of sparse files.
  absl::Status ReadData(const std::function<absl::Status(int64_t, std::string_view)>& fn);

 private:
  TarReader(ByteReader* in, std::string what) : in_(in), what_(std::move(what)) {}
  static ssize_t ReadCallback(struct archive* a, void* self, const void** buf);
  absl::Status Error(std::string_view op);

  ByteReader* in_;
  std::string what_;
  struct archive* archive_ = nullptr;
  std::string buf_;
  absl::Status source_status_;  // an error of `in_`, reported in place of libarchive's rewording
};

}  // namespace berth::diff
