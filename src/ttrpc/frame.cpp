#include "ttrpc/frame.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/status.h"

namespace berth::ttrpc {
namespace {

uint32_t LoadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void StoreBe32(uint32_t v, uint8_t* p) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// Reads exactly n bytes into buf (or discards them if buf is null). *got tells how many arrived before EOF.
absl::Status ReadFull(int fd, char* buf, size_t n, size_t* got) {
  char scratch[8192];
  *got = 0;
  while (*got < n) {
    char* dst = buf != nullptr ? buf + *got : scratch;
    size_t want = buf != nullptr ? n - *got : std::min(n - *got, sizeof scratch);
    ssize_t r = ::read(fd, dst, want);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoStatus(errno, "read", "ttrpc connection");
    if (r == 0) return absl::OkStatus();
    *got += static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

}  // namespace

void EncodeHeader(const FrameHeader& h, uint8_t out[kHeaderSize]) {
  StoreBe32(h.length, out);
  StoreBe32(h.stream_id, out + 4);
  out[8] = h.type;
  out[9] = h.flags;
}

FrameHeader DecodeHeader(const uint8_t in[kHeaderSize]) {
  return FrameHeader{.length = LoadBe32(in), .stream_id = LoadBe32(in + 4), .type = in[8], .flags = in[9]};
}

absl::StatusOr<Frame> ReadFrame(int fd) {
  uint8_t raw[kHeaderSize];
  size_t got;
  RETURN_IF_ERROR(ReadFull(fd, reinterpret_cast<char*>(raw), kHeaderSize, &got));
  if (got == 0) return absl::UnavailableError("ttrpc connection closed by peer");
  if (got < kHeaderSize) return absl::DataLossError("ttrpc connection closed inside a frame header");
  Frame frame;
  frame.header = DecodeHeader(raw);
  bool oversized = frame.header.length > kMaxMessageSize;
  if (!oversized) frame.body.resize(frame.header.length);
  RETURN_IF_ERROR(
      ReadFull(fd, oversized ? nullptr : frame.body.data(), frame.header.length, &got));
  if (got < frame.header.length) return absl::DataLossError("ttrpc connection closed inside a frame body");
  if (oversized) frame.body.clear();
  frame.oversized = oversized;
  return frame;
}

absl::Status WriteFrame(int fd, uint32_t stream_id, MessageType type, std::string_view body) {
  if (body.size() > kMaxMessageSize) {
    return absl::InvalidArgumentError(
        fmt::format("ttrpc message of {} bytes exceeds the maximum of {}", body.size(), kMaxMessageSize));
  }
  uint8_t raw[kHeaderSize];
  EncodeHeader({.length = static_cast<uint32_t>(body.size()), .stream_id = stream_id,
                .type = static_cast<uint8_t>(type)},
               raw);
  iovec iov[2] = {{raw, kHeaderSize}, {const_cast<char*>(body.data()), body.size()}};
  size_t total = kHeaderSize + body.size(), done = 0;
  while (done < total) {
    // Advance the iovecs past what was written.
    iovec cur[2];
    int n = 0;
    size_t skip = done;
    for (auto& v : iov) {
      if (skip >= v.iov_len) {
        skip -= v.iov_len;
        continue;
      }
      cur[n++] = {static_cast<char*>(v.iov_base) + skip, v.iov_len - skip};
      skip = 0;
    }
    msghdr msg{};
    msg.msg_iov = cur;
    msg.msg_iovlen = n;
    // MSG_NOSIGNAL: a vanished peer is an error to return, not a SIGPIPE for the whole process.
    ssize_t w = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return ErrnoStatus(errno, "write", "ttrpc connection");
    done += static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

}  // namespace berth::ttrpc
