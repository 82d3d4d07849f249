// The HTTP client against scripted peers on loopback sockets: framing, keep-alive, redirects, timeouts.
#include "plugins/remotes/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "plugins/remotes/errors.h"
#include "plugins/remotes/testing/loopback_server.h"

namespace berth::remotes {
namespace {

using testing::LoopbackServer;
using namespace std::chrono_literals;

HttpRequest Get(const std::string& url) { return HttpRequest{.url = *Url::Parse(url)}; }

// Serves `response` to every request on the connection until the client closes.
LoopbackServer::Handler Repeat(std::string response) {
  return [response](int fd, int) {
    while (!LoopbackServer::ReadHead(fd).empty()) LoopbackServer::Send(fd, response);
  };
}

std::string Body(HttpResponse& r) {
  auto body = r.body().ReadAll(Context{}, 1 << 20);
  EXPECT_TRUE(body.ok()) << body.status();
  return body.value_or("");
}

TEST(HttpClientTest, ContentLengthBodiesReuseOneConnection) {
  LoopbackServer server(Repeat("HTTP/1.1 200 OK\r\ncontent-length: 5\r\nDOCKER-CONTENT-DIGEST: d\r\n\r\nhello"));
  HttpClient client({});
  for (int i = 0; i < 3; ++i) {
    auto r = client.Send(Context{}, Get(server.url() + "/v2/"), {});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ((*r)->status(), 200);
    EXPECT_EQ((*r)->headers().Get("Docker-Content-Digest"), "d");  // names are case-insensitive
    EXPECT_EQ((*r)->body().content_length(), 5);
    EXPECT_EQ(Body(**r), "hello");
  }
  EXPECT_EQ(server.accepted(), 1);
}

TEST(HttpClientTest, UnpooledRequestsOpenTheirOwnConnections) {
  LoopbackServer server(Repeat("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  HttpClient client({});
  for (int i = 0; i < 2; ++i) {
    auto r = client.Send(Context{}, Get(server.url() + "/"), {.pooled = false});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(Body(**r), "ok");
  }
  EXPECT_EQ(server.accepted(), 2);
}

TEST(HttpClientTest, ChunkedBodyWithExtensionsAndTrailers) {
  LoopbackServer server(Repeat(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nWiki\r\n5;name=value\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n"));
  HttpClient client({});
  for (int i = 0; i < 2; ++i) {
    auto r = client.Send(Context{}, Get(server.url() + "/"), {});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ((*r)->body().content_length(), -1);
    EXPECT_EQ(Body(**r), "Wikipedia in\r\n\r\nchunks.");
  }
  EXPECT_EQ(server.accepted(), 1);  // a complete chunked body leaves the connection reusable
}

TEST(HttpClientTest, StreamsSmallReadsOfALargeBody) {
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  LoopbackServer server(Repeat("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(big.size()) + "\r\n\r\n" +
                               big));
  HttpClient client({});
  auto r = client.Send(Context{}, Get(server.url() + "/blob"), {});
  ASSERT_TRUE(r.ok()) << r.status();
  std::string got;
  char buf[1000];
  for (int i = 0; i < 10'000; ++i) {
    auto n = (*r)->body().Read(Context{}, buf);
    ASSERT_TRUE(n.ok()) << n.status();
    if (*n == 0) break;
    ASSERT_LE(*n, sizeof(buf));
    got.append(buf, *n);
  }
  EXPECT_EQ(got.size(), big.size());
  EXPECT_TRUE(got == big);
}

TEST(HttpClientTest, BodyUntilCloseWithoutLength) {
  LoopbackServer server([](int fd, int) {
    LoopbackServer::ReadHead(fd);
    LoopbackServer::Send(fd, "HTTP/1.1 200 OK\r\n\r\nall of it");
  });
  HttpClient client({});
  auto r = client.Send(Context{}, Get(server.url() + "/"), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Body(**r), "all of it");
}

TEST(HttpClientTest, PrematureEofIsTransient) {
  LoopbackServer server([](int fd, int) {
    LoopbackServer::ReadHead(fd);
    LoopbackServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
  });
  HttpClient client({});
  auto r = client.Send(Context{}, Get(server.url() + "/"), {});
  ASSERT_TRUE(r.ok()) << r.status();
  auto body = (*r)->body().ReadAll(Context{}, 1000);
  ASSERT_FALSE(body.ok());
  EXPECT_TRUE(IsTransient(body.status())) << body.status();
  EXPECT_EQ(ErrorReason(body.status()), "eof");
  EXPECT_NE(std::string(body.status().message()).find("10 of 100"), std::string::npos) << body.status();
}

TEST(HttpClientTest, ChunkedBodyCutMidChunkIsTransient) {
  LoopbackServer server([](int fd, int) {
    LoopbackServer::ReadHead(fd);
    LoopbackServer::Send(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc");
  });
  HttpClient client({});
  auto r = client.Send(Context{}, Get(server.url() + "/"), {});
  ASSERT_TRUE(r.ok()) << r.status();
  auto body = (*r)->body().ReadAll(Context{}, 1000);
  EXPECT_EQ(ErrorReason(body.status()), "eof") << body.status();
}

TEST(HttpClientTest, StalledServerTimesOut) {
  std::atomic<bool> done{false};
  LoopbackServer server([&](int fd, int) {
    LoopbackServer::ReadHead(fd);
    LoopbackServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01");
    for (int i = 0; i < 100 && !done; ++i) std::this_thread::sleep_for(50ms);
  });
  HttpClient client({.connect = {.idle_timeout = 300ms}});
  auto start = std::chrono::steady_clock::now();
  auto r = client.Send(Context{}, Get(server.url() + "/"), {});
  ASSERT_TRUE(r.ok()) << r.status();
  auto body = (*r)->body().ReadAll(Context{}, 100);
  done = true;
  EXPECT_TRUE(IsTransient(body.status())) << body.status();
  EXPECT_EQ(ErrorReason(body.status()), "timeout");
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 3s);
}

TEST(HttpClientTest, CancellationInterruptsAWaitingRead) {
  std::atomic<bool> cancelled{false}, done{false};
  LoopbackServer server([&](int fd, int) {
    LoopbackServer::ReadHead(fd);
    for (int i = 0; i < 100 && !done; ++i) std::this_thread::sleep_for(50ms);  // silent until the client gave up
  });
  HttpClient client({});  // 30 s idle timeout: only cancellation can end this quickly
  Context ctx{.is_cancelled = [&] { return cancelled.load(); }};
  std::thread canceller([&] {
    std::this_thread::sleep_for(150ms);
    cancelled = true;
  });
  auto start = std::chrono::steady_clock::now();
  auto r = client.Send(ctx, Get(server.url() + "/"), {});
  done = true;
  canceller.join();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(HttpClientTest, RefusedConnectionIsTransient) {
  int port;
  {
    LoopbackServer closed([](int, int) {});
    port = closed.port();
  }  // listener closed: nothing listens on `port` now
  HttpClient client({});
  auto r = client.Send(Context{}, Get("http://127.0.0.1:" + std::to_string(port) + "/"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsTransient(r.status())) << r.status();
  EXPECT_EQ(ErrorReason(r.status()), "refused");
  EXPECT_NE(std::string(r.status().message()).find("127.0.0.1:" + std::to_string(port)), std::string::npos);
}

TEST(HttpClientTest, RedirectToAnotherHostDropsAuthorization) {
  std::mutex mu;
  std::vector<std::string> heads;
  LoopbackServer storage([&](int fd, int) {
    std::string head = LoopbackServer::ReadHead(fd);
    {
      std::lock_guard lock(mu);
      heads.push_back(head);
    }
    LoopbackServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nblob");
  });
  LoopbackServer registry([&](int fd, int) {
    std::string head = LoopbackServer::ReadHead(fd);
    std::string location = head.starts_with("GET /same") ? "/v2/moved" : storage.url() + "/bucket/x?sig=1";
    if (head.starts_with("GET /v2/moved")) {
      std::lock_guard lock(mu);
      heads.push_back(head);
      LoopbackServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nsame");
      return;
    }
    LoopbackServer::Send(fd, "HTTP/1.1 307 Temporary Redirect\r\nLocation: " + location +
                                 "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  HttpClient client({});
  HttpRequest request = Get(registry.url() + "/v2/r/blobs/sha256:x");
  request.headers.Add("Authorization", "Bearer secret");
  auto r = client.Send(Context{}, request, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Body(**r), "blob");
  EXPECT_EQ((*r)->url().Authority(), "127.0.0.1:" + std::to_string(storage.port()));

  HttpRequest same = Get(registry.url() + "/same");
  same.headers.Add("Authorization", "Bearer secret");
  auto r2 = client.Send(Context{}, same, {});
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ(Body(**r2), "same");

  std::lock_guard lock(mu);
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_NE(heads[0].find("GET /bucket/x?sig=1 "), std::string::npos) << heads[0];
  EXPECT_EQ(heads[0].find("Authorization"), std::string::npos) << heads[0];
  EXPECT_NE(heads[1].find("Authorization: Bearer secret"), std::string::npos) << heads[1];
}

TEST(HttpClientTest, RedirectLoopsEndAfterFive) {
  LoopbackServer server(Repeat("HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n"));
  HttpClient client({});
  auto r = client.Send(Context{}, Get(server.url() + "/"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(r.status().message()).find("more than 5 redirects"), std::string::npos) << r.status();
}

TEST(HttpClientTest, PooledConnectionClosedByServerIsReplaced) {
  LoopbackServer server([](int fd, int) {
    LoopbackServer::ReadHead(fd);
    LoopbackServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");  // keep-alive, then gone
  });
  HttpClient client({});
  for (int i = 0; i < 2; ++i) {
    auto r = client.Send(Context{}, Get(server.url() + "/"), {});
    ASSERT_TRUE(r.ok()) << "request " << i << ": " << r.status();
    EXPECT_EQ(Body(**r), "ok");
    std::this_thread::sleep_for(50ms);  // let the close arrive
  }
  EXPECT_EQ(server.accepted(), 2);
}

TEST(HttpClientTest, ReadAllEnforcesItsCap) {
  LoopbackServer server(Repeat("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"));
  HttpClient client({});
  auto r = client.Send(Context{}, Get(server.url() + "/"), {});
  ASSERT_TRUE(r.ok()) << r.status();
  auto body = (*r)->body().ReadAll(Context{}, 9);
  EXPECT_EQ(body.status().code(), absl::StatusCode::kInvalidArgument) << body.status();
}

TEST(HttpClientTest, HeadHasNoBody) {
  LoopbackServer server(Repeat("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"));
  HttpClient client({});
  for (int i = 0; i < 2; ++i) {
    HttpRequest head = Get(server.url() + "/");
    head.method = "HEAD";
    auto r = client.Send(Context{}, head, {});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ((*r)->headers().Get("Content-Length"), "1234");
    EXPECT_TRUE((*r)->body().complete());
  }
  EXPECT_EQ(server.accepted(), 1);
}

}  // namespace
}  // namespace berth::remotes
