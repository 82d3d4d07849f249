// A streaming PAX tar writer for the layers Diff produces: ustar headers, with a PAX record for whatever
// ustar cannot hold (long names and link targets, large sizes and ids) and SCHILY.xattr.* for xattrs, as Go's
// archive/tar writes them for containerd.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace berth::diff {

struct TarHeader {
  std::string name;
  char typeflag = '0';  // '0' file, '1' hardlink, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo
  uint32_t mode = 0;    // 07777 bits
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t size = 0;
  int64_t mtime = 0;  // seconds
  std::string linkname;
  uint32_t devmajor = 0;
  uint32_t devminor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

class TarWriter {
 public:
  using Sink = std::function<absl::Status(std::string_view)>;
  explicit TarWriter(Sink sink) : sink_(std::move(sink)) {}

  // Starts an entry; exactly `h.size` bytes of WriteData must follow for a regular file.
  absl::Status WriteHeader(const TarHeader& h);
  absl::Status WriteData(std::string_view data);
  // Pads the last entry and writes the two zero blocks that end an archive.
  absl::Status Close();

 private:
  absl::Status FinishEntry();
  absl::Status WriteBlock(const TarHeader& h, char typeflag, const std::string& name, int64_t size);

  Sink sink_;
  int64_t remaining_ = 0;  // data bytes the current entry still expects
  int64_t written_ = 0;    // data bytes of the current entry so far
};

}  // namespace berth::diff
