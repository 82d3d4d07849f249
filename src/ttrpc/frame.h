// ttrpc framing: a 10-byte big-endian header (body length, stream id, type, flags) and a body of at most 4 MiB.
// Reads and writes go straight to a stream socket fd; callers serialize writers (one frame at a time).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace berth::ttrpc {

inline constexpr size_t kHeaderSize = 10;
inline constexpr uint32_t kMaxMessageSize = 4u << 20;

enum class MessageType : uint8_t { kRequest = 1, kResponse = 2 };

struct FrameHeader {
  uint32_t length = 0;
  uint32_t stream_id = 0;
  uint8_t type = 0;
  uint8_t flags = 0;
};

void EncodeHeader(const FrameHeader& h, uint8_t out[kHeaderSize]);
FrameHeader DecodeHeader(const uint8_t in[kHeaderSize]);

struct Frame {
  FrameHeader header;
  std::string body;
  // Set when the body was larger than kMaxMessageSize: the body was read and dropped, so the stream stays in
  // sync and the receiver can answer ResourceExhausted on this stream id.
  bool oversized = false;
};

// Reads one frame. NotFound-free contract: returns Unavailable at a clean EOF before a header (peer closed),
// DataLoss for EOF inside a frame, or the read error.
absl::StatusOr<Frame> ReadFrame(int fd);

// Writes header and body with one writev loop. Body must not exceed kMaxMessageSize (InvalidArgument).
absl::Status WriteFrame(int fd, uint32_t stream_id, MessageType type, std::string_view body);

}  // namespace berth::ttrpc
