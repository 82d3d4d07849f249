// The endpoint over real loopback TCP: what a scraper sees, and that slow or hostile clients are bounded.
#include "metrics/http_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <string>

namespace berth::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

UniqueFd Connect(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  timeval timeout{.tv_sec = 10, .tv_usec = 0};  // a test that hangs fails instead
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << strerror(errno);
  return fd;
}

std::string ReadAll(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0) out.append(buffer, n);
  return out;
}

std::string Exchange(uint16_t port, const std::string& request) {
  UniqueFd fd = Connect(port);
  EXPECT_EQ(::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  return ReadAll(fd.get());
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.AddCounter("scrapes_total", "S.")->Inc(7);
    auto address = ParseListenAddress("127.0.0.1:0");
    ASSERT_TRUE(address.ok()) << address.status();
    auto server = HttpServer::Start(*address, &registry_,
                                    {.connection_timeout = std::chrono::milliseconds(300), .max_request_bytes = 1024});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_NE(server_->port(), 0);
  }

  Registry registry_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, GetMetricsAnswersTheRegistryInTheTextFormat) {
  std::string response = Exchange(server_->port(), "GET /v1/metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
  std::string body = registry_.Render();
  EXPECT_EQ(response, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  EXPECT_THAT(body, HasSubstr("scrapes_total 7\n"));
  // A query string (some scrapers add one) and HTTP/1.0 with bare newlines are fine too.
  EXPECT_THAT(Exchange(server_->port(), "GET /v1/metrics?x=1 HTTP/1.0\n\n"), StartsWith("HTTP/1.1 200 OK\r\n"));
}

TEST_F(HttpServerTest, HeadHasNoBody) {
  std::string response = Exchange(server_->port(), "HEAD /v1/metrics HTTP/1.1\r\n\r\n");
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(response, HasSubstr("Content-Length: " + std::to_string(registry_.Render().size()) + "\r\n"));
  EXPECT_EQ(response.substr(response.find("\r\n\r\n") + 4), "");
}

TEST_F(HttpServerTest, OtherPathsMethodsAndGarbageAreRefused) {
  EXPECT_THAT(Exchange(server_->port(), "GET /metrics HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_THAT(Exchange(server_->port(), "GET /v1/metrics/x HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 404 "));
  std::string post = Exchange(server_->port(), "POST /v1/metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_THAT(post, StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_THAT(post, HasSubstr("Allow: GET, HEAD\r\n"));
  EXPECT_THAT(Exchange(server_->port(), "hello\r\n\r\n"), StartsWith("HTTP/1.1 400 "));
  EXPECT_THAT(Exchange(server_->port(), "GET /v1/metrics SPDY/3\r\n\r\n"), StartsWith("HTTP/1.1 400 "));
}

TEST_F(HttpServerTest, OversizedRequestIsRefusedWithoutReadingItAll) {
  std::string huge = "GET /v1/metrics HTTP/1.1\r\nX-Pad: " + std::string(4096, 'a') + "\r\n\r\n";
  EXPECT_THAT(Exchange(server_->port(), huge), StartsWith("HTTP/1.1 431 "));
}

TEST_F(HttpServerTest, StalledClientIsDroppedAfterTheTimeoutAndOthersAreServed) {
  UniqueFd stalled = Connect(server_->port());
  ASSERT_EQ(::send(stalled.get(), "GET /v1", 7, MSG_NOSIGNAL), 7);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(Exchange(server_->port(), "GET /v1/metrics HTTP/1.1\r\n\r\n"), StartsWith("HTTP/1.1 200 OK"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(ReadAll(stalled.get()), "");  // closed without an answer
}

TEST_F(HttpServerTest, StopInterruptsAConnectionInProgressAndClosesTheListener) {
  auto slow = HttpServer::Start(*ParseListenAddress("127.0.0.1:0"), &registry_,
                                {.connection_timeout = std::chrono::hours(1), .max_request_bytes = 1024});
  ASSERT_TRUE(slow.ok()) << slow.status();
  uint16_t port = (*slow)->port();
  UniqueFd stalled = Connect(port);
  ASSERT_EQ(::send(stalled.get(), "GET", 3, MSG_NOSIGNAL), 3);
  auto start = std::chrono::steady_clock::now();
  (*slow)->Stop();
  (*slow)->Stop();  // idempotent
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  UniqueFd refused(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_NE(::connect(refused.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
}

TEST(HttpServerStartTest, APortInUseIsAnErrorNamingTheAddress) {
  Registry registry;
  auto first = HttpServer::Start(*ParseListenAddress("127.0.0.1:0"), &registry);
  ASSERT_TRUE(first.ok()) << first.status();
  std::string taken = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = HttpServer::Start(*ParseListenAddress(taken), &registry);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()), HasSubstr(taken));
}

}  // namespace
}  // namespace berth::metrics
