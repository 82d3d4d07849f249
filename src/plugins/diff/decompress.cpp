#include "plugins/diff/decompress.h"

#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "base/status.h"
#include "fmt/format.h"

namespace berth::diff {

namespace {

constexpr size_t kInputChunk = 256 << 10;
constexpr unsigned char kGzipMagic[] = {0x1f, 0x8b, 0x08};
constexpr unsigned char kZstdMagic[] = {0x28, 0xb5, 0x2f, 0xfd};

bool HasPrefix(const std::string& data, const unsigned char* magic, size_t n) {
  return data.size() >= n && std::memcmp(data.data(), magic, n) == 0;
}

bool IsZstd(const std::string& data) {
  if (HasPrefix(data, kZstdMagic, sizeof(kZstdMagic))) return true;
  // Skippable frames (0x184D2A50..5F) may start a zstd stream too.
  if (data.size() < 4) return false;
  uint32_t v = static_cast<unsigned char>(data[0]) | static_cast<unsigned char>(data[1]) << 8 |
               static_cast<unsigned char>(data[2]) << 16 | static_cast<uint32_t>(static_cast<unsigned char>(data[3])) << 24;
  return (v & 0xFFFFFFF0) == 0x184D2A50;
}

// Multi-member gzip (as Go's gzip.Reader reads it) over isa-l's inflate, which checks each member's CRC and size.
class GzipReader final : public ByteReader {
 public:
  GzipReader(ByteReader* in, std::string what) : in_(in), what_(std::move(what)), buf_(kInputChunk) {
    isal_inflate_init(&state_);
    state_.crc_flag = ISAL_GZIP;
  }

  absl::StatusOr<size_t> Read(std::span<char> out) override {
    while (true) {
      if (finished_member_) {
        // A new member follows only if input remains; the stream may end between members.
        if (state_.avail_in == 0 && !in_eof_) RETURN_IF_ERROR(Refill());
        if (state_.avail_in == 0) return 0;
        uint8_t* next = state_.next_in;
        uint32_t avail = state_.avail_in;
        isal_inflate_reset(&state_);
        state_.crc_flag = ISAL_GZIP;
        state_.next_in = next;
        state_.avail_in = avail;
        finished_member_ = false;
      }
      if (state_.avail_in == 0 && !in_eof_) RETURN_IF_ERROR(Refill());
      state_.next_out = reinterpret_cast<uint8_t*>(out.data());
      state_.avail_out = static_cast<uint32_t>(std::min<size_t>(out.size(), UINT32_MAX));
      const uint32_t before = state_.avail_out;
      int ret = isal_inflate(&state_);
      if (ret < 0) {
        return absl::DataLossError(fmt::format("gzip stream of {} is corrupt (isa-l inflate error {})", what_, ret));
      }
      const size_t produced = before - state_.avail_out;
      if (state_.block_state == ISAL_BLOCK_FINISH) finished_member_ = true;
      if (produced > 0) return produced;
      if (!finished_member_ && state_.avail_in == 0 && in_eof_) {
        return absl::DataLossError(fmt::format("gzip stream of {} is truncated (unexpected end of data)", what_));
      }
    }
  }

 private:
  absl::Status Refill() {
    ASSIGN_OR_RETURN(size_t n, in_->Read(std::span<char>(reinterpret_cast<char*>(buf_.data()), buf_.size())));
    if (n == 0) in_eof_ = true;
    state_.next_in = buf_.data();
    state_.avail_in = static_cast<uint32_t>(n);
    return absl::OkStatus();
  }

  ByteReader* in_;
  std::string what_;
  std::vector<uint8_t> buf_;
  inflate_state state_;
  bool in_eof_ = false;
  bool finished_member_ = false;
};

class ZstdReader final : public ByteReader {
 public:
  ZstdReader(ByteReader* in, std::string what)
      : in_(in), what_(std::move(what)), buf_(ZSTD_DStreamInSize()), stream_(ZSTD_createDStream()) {
    ZSTD_initDStream(stream_);
  }
  ~ZstdReader() override { ZSTD_freeDStream(stream_); }

  absl::StatusOr<size_t> Read(std::span<char> out) override {
    while (true) {
      if (input_.pos == input_.size && !in_eof_) {
        ASSIGN_OR_RETURN(size_t n, in_->Read(std::span<char>(buf_.data(), buf_.size())));
        if (n == 0) in_eof_ = true;
        input_ = {buf_.data(), n, 0};
      }
      if (input_.pos == input_.size && in_eof_) {
        if (frame_open_) {
          return absl::DataLossError(fmt::format("zstd stream of {} is truncated (unexpected end of data)", what_));
        }
        return 0;
      }
      ZSTD_outBuffer output{out.data(), out.size(), 0};
      size_t ret = ZSTD_decompressStream(stream_, &output, &input_);
      if (ZSTD_isError(ret)) {
        return absl::DataLossError(
            fmt::format("zstd stream of {} is corrupt: {}", what_, ZSTD_getErrorName(ret)));
      }
      frame_open_ = ret != 0;
      if (output.pos > 0) return output.pos;
    }
  }

 private:
  ByteReader* in_;
  std::string what_;
  std::vector<char> buf_;
  ZSTD_DStream* stream_;
  ZSTD_inBuffer input_{nullptr, 0, 0};
  bool in_eof_ = false;
  bool frame_open_ = false;
};

// Keeps the sniffed prefix alive in front of the decompressor that reads it.
class SniffedReader final : public ByteReader {
 public:
  SniffedReader(std::string prefix, ByteReader* in, Compression c, std::string what)
      : prefixed_(std::move(prefix), in) {
    if (c == Compression::kGzip) inner_ = std::make_unique<GzipReader>(&prefixed_, std::move(what));
    if (c == Compression::kZstd) inner_ = std::make_unique<ZstdReader>(&prefixed_, std::move(what));
  }
  absl::StatusOr<size_t> Read(std::span<char> buf) override {
    return inner_ ? inner_->Read(buf) : prefixed_.Read(buf);
  }

 private:
  PrefixedReader prefixed_;
  std::unique_ptr<ByteReader> inner_;
};

std::pair<std::string, std::vector<std::string>> SplitMediaType(std::string_view mt) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t plus = mt.find('+', start);
    parts.emplace_back(mt.substr(start, plus == std::string_view::npos ? std::string_view::npos : plus - start));
    if (plus == std::string_view::npos) break;
    start = plus + 1;
  }
  std::string base = parts.front();
  parts.erase(parts.begin());
  return {base, parts};
}

}  // namespace

absl::StatusOr<Compression> CompressionOf(std::string_view media_type) {
  auto [base, ext] = SplitMediaType(media_type);
  auto unimplemented = [&] {
    return absl::UnimplementedError(fmt::format("unrecognised layer media type {:?}", std::string(media_type)));
  };
  if (base == "application/vnd.docker.image.rootfs.diff.tar" ||
      base == "application/vnd.docker.image.rootfs.foreign.diff.tar") {
    if (ext.empty()) return Compression::kDetect;
    return unimplemented();
  }
  if (base == "application/vnd.docker.image.rootfs.diff.tar.gzip" ||
      base == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip") {
    if (ext.empty()) return Compression::kDetect;
    return unimplemented();
  }
  if (base == "application/vnd.oci.image.layer.v1.tar" ||
      base == "application/vnd.oci.image.layer.nondistributable.v1.tar") {
    if (ext.empty()) return Compression::kNone;
    // containerd looks only at the last suffix; anything else (e.g. +encrypted) needs a stream processor we
    // do not have.
    if (ext.size() == 1 && (ext[0] == "gzip" || ext[0] == "zstd")) return Compression::kDetect;
  }
  return unimplemented();
}

absl::StatusOr<std::unique_ptr<ByteReader>> OpenDecompressor(Compression c, ByteReader* in, std::string what) {
  if (c == Compression::kNone) return std::make_unique<PrefixedReader>(std::string(), in);
  std::string prefix;
  if (c == Compression::kDetect) {
    ASSIGN_OR_RETURN(prefix, ReadUpTo(*in, 10));
    if (HasPrefix(prefix, kGzipMagic, sizeof(kGzipMagic))) {
      c = Compression::kGzip;
    } else if (IsZstd(prefix)) {
      c = Compression::kZstd;
    } else {
      c = Compression::kNone;
    }
  }
  return std::make_unique<SniffedReader>(std::move(prefix), in, c, std::move(what));
}

}  // namespace berth::diff
