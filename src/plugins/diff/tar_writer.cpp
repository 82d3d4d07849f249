#include "plugins/diff/tar_writer.h"

#include <cstring>

#include "base/status.h"
#include "fmt/format.h"

namespace berth::diff {

namespace {

constexpr size_t kBlock = 512;

// Writes `v` as zero-padded octal in a field of `width` (width-1 digits and a NUL); false if it does not fit.
bool PutOctal(char* field, size_t width, int64_t v) {
  if (v < 0) return false;
  std::string s = fmt::format("{:0{}o}", v, width - 1);
  if (s.size() > width - 1) return false;
  std::memcpy(field, s.data(), s.size());
  field[width - 1] = '\0';
  return true;
}

// One PAX record: "<len> <key>=<value>\n", where <len> counts the whole record including itself.
std::string PaxRecord(std::string_view key, std::string_view value) {
  size_t body = 1 + key.size() + 1 + value.size() + 1;  // " key=value\n"
  size_t len = body + std::to_string(body).size();
  if (std::to_string(len).size() != std::to_string(body).size()) len = body + std::to_string(len).size();
  return fmt::format("{} {}={}\n", len, key, value);
}

std::string PaxName(const std::string& name) {
  std::string trimmed = name;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  size_t slash = trimmed.rfind('/');
  std::string dir = slash == std::string::npos ? "." : trimmed.substr(0, slash);
  std::string base = slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
  return (dir + "/PaxHeaders.0/" + base).substr(0, 99);
}

}  // namespace

absl::Status TarWriter::WriteBlock(const TarHeader& h, char typeflag, const std::string& name, int64_t size) {
  char b[kBlock] = {};
  std::memcpy(b, name.data(), std::min<size_t>(name.size(), 100));
  PutOctal(b + 100, 8, h.mode & 07777);
  if (!PutOctal(b + 108, 8, h.uid)) PutOctal(b + 108, 8, 0);
  if (!PutOctal(b + 116, 8, h.gid)) PutOctal(b + 116, 8, 0);
  if (!PutOctal(b + 124, 12, size)) PutOctal(b + 124, 12, 0);
  if (!PutOctal(b + 136, 12, h.mtime)) PutOctal(b + 136, 12, 0);
  b[156] = typeflag;
  if (typeflag != 'x') std::memcpy(b + 157, h.linkname.data(), std::min<size_t>(h.linkname.size(), 100));
  std::memcpy(b + 257, "ustar\0" "00", 8);
  if (typeflag == '3' || typeflag == '4') {
    PutOctal(b + 329, 8, h.devmajor);
    PutOctal(b + 337, 8, h.devminor);
  }
  std::memset(b + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : b) sum += c;
  std::string chk = fmt::format("{:06o}", sum);
  std::memcpy(b + 148, chk.data(), 6);
  b[154] = '\0';
  b[155] = ' ';
  return sink_(std::string_view(b, kBlock));
}

absl::Status TarWriter::FinishEntry() {
  if (remaining_ != 0) {
    return absl::FailedPreconditionError(fmt::format("tar entry is {} bytes short", remaining_));
  }
  size_t pad = (kBlock - written_ % kBlock) % kBlock;
  written_ = 0;
  if (pad == 0) return absl::OkStatus();
  static const char kZeros[kBlock] = {};
  return sink_(std::string_view(kZeros, pad));
}

absl::Status TarWriter::WriteHeader(const TarHeader& h) {
  RETURN_IF_ERROR(FinishEntry());
  std::string pax;
  char probe[12];
  if (h.name.size() > 100) pax += PaxRecord("path", h.name);
  if (h.linkname.size() > 100) pax += PaxRecord("linkpath", h.linkname);
  if (!PutOctal(probe, 8, h.uid)) pax += PaxRecord("uid", std::to_string(h.uid));
  if (!PutOctal(probe, 8, h.gid)) pax += PaxRecord("gid", std::to_string(h.gid));
  if (!PutOctal(probe, 12, h.size)) pax += PaxRecord("size", std::to_string(h.size));
  if (!PutOctal(probe, 12, h.mtime)) pax += PaxRecord("mtime", std::to_string(h.mtime));
  for (const auto& [k, v] : h.xattrs) pax += PaxRecord("SCHILY.xattr." + k, v);
  if (!pax.empty()) {
    RETURN_IF_ERROR(WriteBlock(h, 'x', PaxName(h.name), static_cast<int64_t>(pax.size())));
    remaining_ = static_cast<int64_t>(pax.size());
    RETURN_IF_ERROR(WriteData(pax));
    RETURN_IF_ERROR(FinishEntry());
  }
  RETURN_IF_ERROR(WriteBlock(h, h.typeflag, h.name, h.size));
  remaining_ = h.typeflag == '0' ? h.size : 0;
  return absl::OkStatus();
}

absl::Status TarWriter::WriteData(std::string_view data) {
  if (static_cast<int64_t>(data.size()) > remaining_) {
    return absl::FailedPreconditionError("tar entry data longer than its header says");
  }
  remaining_ -= static_cast<int64_t>(data.size());
  written_ += static_cast<int64_t>(data.size());
  return sink_(data);
}

absl::Status TarWriter::Close() {
  RETURN_IF_ERROR(FinishEntry());
  static const char kEnd[2 * kBlock] = {};
  return sink_(std::string_view(kEnd, sizeof(kEnd)));
}

}  // namespace berth::diff
