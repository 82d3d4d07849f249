#include "ttrpc/frame.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/unique_fd.h"

namespace berth::ttrpc {
namespace {

struct SocketPair {
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    a.Reset(fds[0]);
    b.Reset(fds[1]);
  }
  UniqueFd a, b;
};

TEST(FrameTest, HeaderIsBigEndian) {
  uint8_t raw[kHeaderSize];
  EncodeHeader({.length = 0x01020304, .stream_id = 5, .type = 2, .flags = 0}, raw);
  const uint8_t want[] = {1, 2, 3, 4, 0, 0, 0, 5, 2, 0};
  EXPECT_EQ(std::memcmp(raw, want, kHeaderSize), 0);
  FrameHeader h = DecodeHeader(raw);
  EXPECT_EQ(h.length, 0x01020304u);
  EXPECT_EQ(h.stream_id, 5u);
  EXPECT_EQ(h.type, 2);
}

TEST(FrameTest, WriteThenReadRoundTrips) {
  SocketPair p;
  ASSERT_TRUE(WriteFrame(p.a.get(), 7, MessageType::kRequest, "payload").ok());
  ASSERT_TRUE(WriteFrame(p.a.get(), 9, MessageType::kResponse, "").ok());
  auto f1 = ReadFrame(p.b.get());
  ASSERT_TRUE(f1.ok()) << f1.status();
  EXPECT_EQ(f1->header.stream_id, 7u);
  EXPECT_EQ(f1->header.type, 1);
  EXPECT_EQ(f1->body, "payload");
  auto f2 = ReadFrame(p.b.get());
  ASSERT_TRUE(f2.ok()) << f2.status();
  EXPECT_EQ(f2->header.length, 0u);
  EXPECT_EQ(f2->header.type, 2);
}

TEST(FrameTest, CleanEofIsUnavailableAndTruncationIsDataLoss) {
  SocketPair p;
  p.a.Reset();
  EXPECT_TRUE(absl::IsUnavailable(ReadFrame(p.b.get()).status()));

  SocketPair q;
  const uint8_t partial[] = {0, 0, 0, 9, 0, 0, 0, 1, 1, 0, 'a', 'b'};  // promises 9 bytes, sends 2
  ASSERT_EQ(::write(q.a.get(), partial, sizeof partial), static_cast<ssize_t>(sizeof partial));
  q.a.Reset();
  EXPECT_TRUE(absl::IsDataLoss(ReadFrame(q.b.get()).status()));
}

TEST(FrameTest, OversizedBodyIsDiscardedAndStreamStaysInSync) {
  SocketPair p;
  uint32_t big = kMaxMessageSize + 1;
  std::thread writer([&] {
    uint8_t raw[kHeaderSize];
    EncodeHeader({.length = big, .stream_id = 3, .type = 1}, raw);
    ASSERT_EQ(::write(p.a.get(), raw, kHeaderSize), static_cast<ssize_t>(kHeaderSize));
    std::string body(big, 'x');
    size_t off = 0;
    while (off < body.size()) {
      ssize_t n = ::write(p.a.get(), body.data() + off, body.size() - off);
      ASSERT_GT(n, 0);
      off += static_cast<size_t>(n);
    }
    ASSERT_TRUE(WriteFrame(p.a.get(), 5, MessageType::kRequest, "next").ok());
  });
  auto f1 = ReadFrame(p.b.get());
  ASSERT_TRUE(f1.ok()) << f1.status();
  EXPECT_TRUE(f1->oversized);
  EXPECT_EQ(f1->header.stream_id, 3u);
  auto f2 = ReadFrame(p.b.get());
  ASSERT_TRUE(f2.ok()) << f2.status();
  EXPECT_EQ(f2->body, "next");
  writer.join();
}

TEST(FrameTest, RefusesToWriteOversizedBody) {
  SocketPair p;
  EXPECT_TRUE(absl::IsInvalidArgument(
      WriteFrame(p.a.get(), 1, MessageType::kRequest, std::string(kMaxMessageSize + 1, 'x'))));
}

}  // namespace
}  // namespace berth::ttrpc
