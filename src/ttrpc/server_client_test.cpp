#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <latch>

#include "ttrpc/client.h"
#include "ttrpc/frame.h"
#include "ttrpc/server.h"
#include "ttrpc/unix_socket.h"

namespace berth::ttrpc {
namespace {

constexpr char kService[] = "berth.test.v1.Echo";

class ServerClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ttrpc-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/s.sock";
    server_.Register(kService, "Echo", [](const CallContext&, std::string_view in) -> absl::StatusOr<std::string> {
      return std::string(in);
    });
    server_.Register(kService, "Fail", [](const CallContext&, std::string_view) -> absl::StatusOr<std::string> {
      return absl::NotFoundError("container x: not found");
    });
    server_.Register(kService, "Context", [](const CallContext& ctx, std::string_view) -> absl::StatusOr<std::string> {
      std::string out = MetadataValue(ctx.metadata, "containerd-namespace-ttrpc");
      out += ctx.deadline ? "+deadline" : "+none";
      return out;
    });
    server_.Register(kService, "Sleep", [](const CallContext&, std::string_view) -> absl::StatusOr<std::string> {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      return std::string("late");
    });
    server_.Register(kService, "Wait", [this](const CallContext&, std::string_view) -> absl::StatusOr<std::string> {
      // Blocks until a concurrent Release call arrives: proves handlers run concurrently on one connection.
      bool released = release_.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready;
      return std::string(released ? "released" : "timed out");
    });
    server_.Register(kService, "Tid", [](const CallContext&, std::string_view) -> absl::StatusOr<std::string> {
      return std::to_string(::gettid());
    });
    server_.Register(kService, "Release", [this](const CallContext&, std::string_view) -> absl::StatusOr<std::string> {
      release_.set_value();
      return std::string();
    });
    auto listener = ListenUnix(path_);
    ASSERT_TRUE(listener.ok()) << listener.status();
    ASSERT_TRUE(server_.Serve(std::move(*listener)).ok());
  }
  void TearDown() override {
    server_.Shutdown();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Client> Dial() {
    auto c = Client::Dial(path_);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // Writes a raw frame and reads the next response frame on a bare socket.
  absl::StatusOr<Response> RawExchange(int fd, uint32_t stream_id, uint8_t type, const std::string& body) {
    uint8_t raw[kHeaderSize];
    EncodeHeader({.length = static_cast<uint32_t>(body.size()), .stream_id = stream_id, .type = type}, raw);
    std::string out(reinterpret_cast<char*>(raw), kHeaderSize);
    out += body;
    EXPECT_EQ(::write(fd, out.data(), out.size()), static_cast<ssize_t>(out.size()));
    auto frame = ReadFrame(fd);
    if (!frame.ok()) return frame.status();
    EXPECT_EQ(frame->header.stream_id, stream_id);
    EXPECT_EQ(frame->header.type, static_cast<uint8_t>(MessageType::kResponse));
    return Response::Decode(frame->body);
  }

  std::string dir_, path_;
  Server server_;
  std::promise<void> release_;
};

TEST_F(ServerClientTest, EchoRoundTripIncludingEmptyAndLargePayloads) {
  auto client = Dial();
  ASSERT_NE(client, nullptr);
  for (const std::string& payload : {std::string(), std::string("hi"), std::string(3 << 20, 'z')}) {
    auto r = client->Call(kService, "Echo", payload);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, payload);
  }
}

TEST_F(ServerClientTest, ErrorsCarryTheirCode) {
  auto client = Dial();
  ASSERT_NE(client, nullptr);
  auto r = client->Call(kService, "Fail", "");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "container x: not found");
  EXPECT_EQ(client->Call(kService, "Nope", "").status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(client->Call("no.such.Service", "Echo", "").status().code(), absl::StatusCode::kUnimplemented);
}

TEST_F(ServerClientTest, MetadataAndDeadlineReachTheHandler) {
  auto client = Dial();
  ASSERT_NE(client, nullptr);
  auto with = client->Call(kService, "Context", "",
                           {.timeout = std::chrono::seconds(2), .metadata = {{"containerd-namespace-ttrpc", "ns1"}}});
  ASSERT_TRUE(with.ok()) << with.status();
  EXPECT_EQ(*with, "ns1+deadline");
  auto without = client->Call(kService, "Context", "");
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ(*without, "+none");
}

TEST_F(ServerClientTest, BlockingHandlerDoesNotHoldUpOthersOnTheSameConnection) {
  auto client = Dial();
  ASSERT_NE(client, nullptr);
  auto waiting = std::async(std::launch::async, [&] { return client->Call(kService, "Wait", ""); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(client->Call(kService, "Release", "", {.timeout = std::chrono::seconds(5)}).ok());
  auto r = waiting.get();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "released");
}

TEST_F(ServerClientTest, HandlerThreadsAreReusedAndABlockedOneIsNotWaitedFor) {
  auto client = Dial();
  ASSERT_NE(client, nullptr);
  auto first = client->Call(kService, "Tid", "");
  ASSERT_TRUE(first.ok()) << first.status();
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // the handler is back waiting
    EXPECT_EQ(client->Call(kService, "Tid", "").value_or("failed"), *first) << "call " << i << " got a new thread";
  }
  // The idle handler takes the blocking call; the next calls get another thread instead of queueing behind it.
  auto waiting = std::async(std::launch::async, [&] { return client->Call(kService, "Wait", ""); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto other = client->Call(kService, "Tid", "", {.timeout = std::chrono::seconds(5)});
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_NE(*other, *first);
  ASSERT_TRUE(client->Call(kService, "Release", "", {.timeout = std::chrono::seconds(5)}).ok());
  EXPECT_EQ(waiting.get().value_or("failed"), "released");
}

TEST_F(ServerClientTest, ManyConcurrentCallersGetTheirOwnReplies) {
  auto client = Dial();
  ASSERT_NE(client, nullptr);
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string payload = std::to_string(t) + ":" + std::to_string(i);
        auto r = client->Call(kService, "Echo", payload, {.timeout = std::chrono::seconds(10)});
        if (r.ok() && *r == payload) ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 400);
}

TEST_F(ServerClientTest, ClientDeadlineExpires) {
  auto client = Dial();
  ASSERT_NE(client, nullptr);
  auto r = client->Call(kService, "Sleep", "", {.timeout = std::chrono::milliseconds(50)});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  // The late reply is dropped and the connection keeps working.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  auto ok = client->Call(kService, "Echo", "after");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, "after");
}

TEST_F(ServerClientTest, MalformedFramesGetErrorsOnTheirStreamAndTheConnectionSurvives) {
  auto fd = ConnectUnix(path_);
  ASSERT_TRUE(fd.ok()) << fd.status();
  // A body that is not a protobuf Request.
  auto bad = RawExchange(fd->get(), 1, 1, std::string("\x0a\x7f", 2));
  ASSERT_TRUE(bad.ok()) << bad.status();
  EXPECT_EQ(bad->status.code(), absl::StatusCode::kInvalidArgument);
  // Even stream ids are the server's, not a client's.
  Request echo{.service = kService, .method = "Echo", .payload = "x"};
  auto even = RawExchange(fd->get(), 2, 1, echo.Encode());
  ASSERT_TRUE(even.ok()) << even.status();
  EXPECT_EQ(even->status.code(), absl::StatusCode::kInvalidArgument);
  // A frame of an unknown type is ignored; the next request is answered.
  uint8_t raw[kHeaderSize];
  EncodeHeader({.length = 0, .stream_id = 3, .type = 9}, raw);
  ASSERT_EQ(::write(fd->get(), raw, kHeaderSize), static_cast<ssize_t>(kHeaderSize));
  auto good = RawExchange(fd->get(), 5, 1, echo.Encode());
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_TRUE(good->status.ok());
  EXPECT_EQ(good->payload, "x");
}

TEST_F(ServerClientTest, OversizedRequestIsAnsweredWithResourceExhausted) {
  auto fd = ConnectUnix(path_);
  ASSERT_TRUE(fd.ok()) << fd.status();
  std::string body(kMaxMessageSize + 10, 'x');
  std::thread writer([&] {
    uint8_t raw[kHeaderSize];
    EncodeHeader({.length = static_cast<uint32_t>(body.size()), .stream_id = 7, .type = 1}, raw);
    ASSERT_EQ(::write(fd->get(), raw, kHeaderSize), static_cast<ssize_t>(kHeaderSize));
    size_t off = 0;
    while (off < body.size()) {
      ssize_t n = ::write(fd->get(), body.data() + off, body.size() - off);
      ASSERT_GT(n, 0);
      off += static_cast<size_t>(n);
    }
  });
  auto frame = ReadFrame(fd->get());
  writer.join();
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(frame->header.stream_id, 7u);
  auto resp = Response::Decode(frame->body);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status.code(), absl::StatusCode::kResourceExhausted);
  Request echo{.service = kService, .method = "Echo", .payload = "still here"};
  auto good = RawExchange(fd->get(), 9, 1, echo.Encode());
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->payload, "still here");
}

TEST_F(ServerClientTest, ShutdownFailsPendingAndLaterCallsWithUnavailable) {
  auto client = Dial();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Call(kService, "Echo", "x").ok());
  auto pending = std::async(std::launch::async, [&] { return client->Call(kService, "Sleep", ""); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server_.Shutdown();
  auto r = pending.get();
  // Either the reply made it out before the close, or the call fails cleanly.
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  }
  EXPECT_EQ(client->Call(kService, "Echo", "x").status().code(), absl::StatusCode::kUnavailable);
}

TEST(UnixSocketTest, RefusesPathsThatDoNotFitAndStripsTheScheme) {
  EXPECT_TRUE(absl::IsInvalidArgument(ListenUnix("/tmp/" + std::string(120, 'a')).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ListenUnix("").status()));
  EXPECT_EQ(StripUnixScheme("unix:///run/containerd/s/ab"), "/run/containerd/s/ab");
  EXPECT_EQ(StripUnixScheme("/run/x.sock"), "/run/x.sock");
}

}  // namespace
}  // namespace berth::ttrpc
