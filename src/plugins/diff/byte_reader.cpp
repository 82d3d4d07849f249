#include "plugins/diff/byte_reader.h"

#include <algorithm>
#include <cstring>

#include "base/status.h"

namespace berth::diff {

absl::StatusOr<size_t> ContentByteReader::Read(std::span<char> buf) {
  auto n = reader_->ReadAt(offset_, buf);
  if (!n.ok()) return WithContext(n.status(), fmt::format("read blob {} at {}", name_, offset_));
  offset_ += static_cast<int64_t>(*n);
  return *n;
}

absl::StatusOr<size_t> PrefixedReader::Read(std::span<char> buf) {
  if (consumed_ < prefix_.size()) {
    size_t n = std::min(buf.size(), prefix_.size() - consumed_);
    std::memcpy(buf.data(), prefix_.data() + consumed_, n);
    consumed_ += n;
    return n;
  }
  return inner_->Read(buf);
}

absl::StatusOr<std::string> ReadUpTo(ByteReader& in, size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ASSIGN_OR_RETURN(size_t r, in.Read(std::span<char>(out.data() + got, n - got)));
    if (r == 0) break;
    got += r;
  }
  out.resize(got);
  return out;
}

}  // namespace berth::diff
