// berthd's Prometheus endpoint (--metrics-address): scraped over real TCP while the stock ctr drives the daemon.
// berthd only: containerd names its metrics differently, so BERTH_TEST_DAEMON=containerd skips these.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "tests/util/daemon.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A port nothing listens on now (the kernel's pick for port 0); berthd binds it a moment later.
uint16_t FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << strerror(errno);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  return ntohs(addr.sin_port);
}

struct HttpResponse {
  bool connected = false;
  std::string head;  // status line and headers
  std::string body;
};

// One HTTP/1.1 GET over TCP to 127.0.0.1:port, read to EOF (the server closes), with a 10 s receive timeout.
HttpResponse HttpGet(uint16_t port, const std::string& path) {
  HttpResponse response;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval timeout{.tv_sec = 10, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return response;
  }
  response.connected = true;
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: berth-it\r\n\r\n";
  EXPECT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  std::string raw;
  char buffer[8192];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) raw.append(buffer, n);
  close(fd);
  size_t end = raw.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos) << raw;
  if (end != std::string::npos) {
    response.head = raw.substr(0, end + 2);
    response.body = raw.substr(end + 4);
  }
  return response;
}

// The samples of a text-format scrape: "name{labels}" → value. Every line must be a HELP or TYPE comment or a
// sample `name{label="value",…} value`; each TYPE comes once and before its samples.
std::map<std::string, double> ParseExposition(const std::string& text) {
  static const std::regex kSample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")"
                                  R"((?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})?) (\S+)$)");
  static const std::regex kComment(R"(^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$)");
  std::map<std::string, double> samples;
  std::set<std::string> typed;
  size_t start = 0;
  EXPECT_TRUE(text.empty() || text.back() == '\n') << "the exposition ends with a newline";
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    start = end == std::string::npos ? text.size() : end + 1;
    std::smatch m;
    if (std::regex_match(line, m, kComment)) {
      if (m[1] == "TYPE") {
        EXPECT_TRUE(typed.insert(m[2]).second) << "TYPE twice: " << line;
        EXPECT_THAT((std::set<std::string>{"counter", "gauge", "histogram"}), ::testing::Contains(m[3].str()));
      }
      continue;
    }
    if (!std::regex_match(line, m, kSample)) {
      ADD_FAILURE() << "not a sample line: \"" << line << "\"";
      continue;
    }
    std::string series = m[1];
    std::string name = series.substr(0, series.find('{'));
    bool has_type = typed.count(name) > 0;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (name.ends_with(suffix)) has_type |= typed.count(name.substr(0, name.size() - strlen(suffix))) > 0;
    }
    EXPECT_TRUE(has_type) << "sample before its TYPE: " << line;
    char* parsed_end = nullptr;
    double value = std::strtod(m[2].str().c_str(), &parsed_end);
    EXPECT_EQ(*parsed_end, '\0') << "bad value: " << line;
    EXPECT_TRUE(samples.emplace(series, value).second) << "duplicate series: " << line;
  }
  return samples;
}

// after - before, for the series starting with `prefix` that changed.
std::map<std::string, double> Delta(const std::map<std::string, double>& before,
                                    const std::map<std::string, double>& after, const std::string& prefix) {
  std::map<std::string, double> delta;
  for (const auto& [series, value] : after) {
    if (!series.starts_with(prefix)) continue;
    auto it = before.find(series);
    double d = value - (it == before.end() ? 0 : it->second);
    if (d != 0) delta[series] = d;
  }
  return delta;
}

std::string Requests(const std::string& method, const std::string& code) {
  return "berth_grpc_requests_total{method=\"" + method + "\",code=\"" + code + "\"}";
}
std::string DurationCount(const std::string& method) {
  return "berth_grpc_request_duration_seconds_count{method=\"" + method + "\"}";
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (DaemonKindFromEnv() != DaemonKind::kBerthd) GTEST_SKIP() << "berthd's own metrics";
    port_ = FreeLoopbackPort();
    daemon_.emplace(Daemon::Options{.kind = DaemonKind::kBerthd,
                                    .extra_args = {"--metrics-address", "127.0.0.1:" + std::to_string(port_)}});
    ASSERT_TRUE(daemon_->Start());
  }

  std::map<std::string, double> Scrape() {
    HttpResponse r = HttpGet(port_, "/v1/metrics");
    EXPECT_TRUE(r.connected) << "nothing listens on 127.0.0.1:" << port_;
    EXPECT_THAT(r.head, StartsWith("HTTP/1.1 200 OK\r\n"));
    EXPECT_THAT(r.head, HasSubstr("Content-Type: text/plain; version=0.0.4"));
    return ParseExposition(r.body);
  }

  uint16_t port_ = 0;
  std::optional<Daemon> daemon_;
};

TEST_F(MetricsTest, CountsExactlyTheCallsCtrMadeByMethodAndCode) {
  Ctr ctr = daemon_->ctr("it");
  std::map<std::string, double> before = Scrape();

  ASSERT_CTR_OK(ctr.Run({"version"}));
  ASSERT_CTR_OK(ctr.Run({"content", "ls"}));
  RunResult rm = ctr.Run({"images", "rm", "nonexistent"});  // the call fails NotFound; ctr 1.6 warns, exits 0
  EXPECT_THAT(rm.err, HasSubstr("image not found")) << rm.Describe();

  std::map<std::string, double> after = Scrape();
  const std::string version = "/containerd.services.version.v1.Version/Version";
  const std::string server = "/containerd.services.introspection.v1.Introspection/Server";  // ctr version's UUID
  const std::string content_list = "/containerd.services.content.v1.Content/List";
  const std::string image_delete = "/containerd.services.images.v1.Images/Delete";
  EXPECT_EQ(Delta(before, after, "berth_grpc_requests_total"),
            (std::map<std::string, double>{{Requests(version, "OK"), 1},
                                           {Requests(server, "OK"), 1},
                                           {Requests(content_list, "OK"), 1},
                                           {Requests(image_delete, "NotFound"), 1}}));
  EXPECT_EQ(Delta(before, after, "berth_grpc_request_duration_seconds_count"),
            (std::map<std::string, double>{{DurationCount(version), 1},
                                           {DurationCount(server), 1},
                                           {DurationCount(content_list), 1},
                                           {DurationCount(image_delete), 1}}));
  // Every call of the daemon's life is counted, with its duration: the start-up probe's `ctr version` too.
  EXPECT_GE(after[Requests(version, "OK")], 2);
  EXPECT_EQ(after[DurationCount(version)], after[Requests(version, "OK")]);
  EXPECT_EQ(after["berth_grpc_request_duration_seconds_bucket{method=\"" + version + "\",le=\"+Inf\"}"],
            after[DurationCount(version)]);
}

TEST_F(MetricsTest, ProcessMetricsDescribeTheDaemon) {
  std::map<std::string, double> samples = Scrape();
  EXPECT_GT(samples["process_resident_memory_bytes"], 1 << 20);
  EXPECT_GT(samples["process_open_fds"], 3);
  EXPECT_GT(samples["process_start_time_seconds"], 1.6e9);  // an epoch time, not seconds since boot
}

TEST_F(MetricsTest, OtherPathsAreNotFoundAndTheDaemonStopsCleanly) {
  HttpResponse r = HttpGet(port_, "/metrics");
  ASSERT_TRUE(r.connected);
  EXPECT_THAT(r.head, StartsWith("HTTP/1.1 404 "));
  EXPECT_THAT(HttpGet(port_, "/v1/metricsx").head, StartsWith("HTTP/1.1 404 "));

  ASSERT_TRUE(daemon_->Stop());  // exit status 0 on SIGTERM
  EXPECT_FALSE(HttpGet(port_, "/v1/metrics").connected) << "the endpoint outlived the daemon";
}

TEST(MetricsConfigTest, AHostNameIsRefusedAtStartUp) {
  if (DaemonKindFromEnv() != DaemonKind::kBerthd) GTEST_SKIP() << "berthd's own flag";
  Daemon daemon(Daemon::Options{.kind = DaemonKind::kBerthd,
                                .start_timeout = std::chrono::seconds(10),
                                .extra_args = {"--metrics-address", "metrics.invalid:1338"}});
  ::testing::AssertionResult started = daemon.Start();
  ASSERT_FALSE(started);
  EXPECT_THAT(daemon.LogTail(), HasSubstr("names are not resolved"));
}

}  // namespace
}  // namespace berth::testing
