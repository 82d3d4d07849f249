#include "tests/util/registry.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

namespace berth::testing {

int HttpGetStatus(int port, const std::string& path, std::chrono::milliseconds timeout) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return -1;
  }
  std::string response;
  char buf[512];
  while (response.find("\r\n") == std::string::npos) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  // "HTTP/1.1 200 OK"
  auto space = response.find(' ');
  if (space == std::string::npos || response.size() < space + 4) return -1;
  return std::atoi(response.substr(space + 1, 3).c_str());
}

Registry::Registry(bool access_log)
    : dir_("berth-it-registry"), access_log_(access_log), log_path_(dir_.Join("registry.log")) {}

Registry::~Registry() { Stop(); }

void Registry::Stop() {
  if (child_ && child_->Running()) {
    child_->Signal(SIGTERM);
    child_->Wait(std::chrono::seconds(5));
  }
  child_.reset();
}

::testing::AssertionResult Registry::Start() {
  const char* bin_env = std::getenv("BERTH_TEST_REGISTRY");
  std::string bin = (bin_env != nullptr && *bin_env != '\0') ? bin_env : "/usr/bin/docker-registry";
  std::string last_error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = FreeLoopbackPort();
    std::string config = dir_.Join("config.yml");
    WriteFileOrDie(config,
                   "version: 0.1\n"
                   "log:\n"
                   "  level: warn\n"
                   "  accesslog:\n"
                   "    disabled: " + std::string(access_log_ ? "false" : "true") + "\n"
                   "storage:\n"
                   "  filesystem:\n"
                   "    rootdirectory: " + dir_.Join("storage") + "\n"
                   "  delete:\n"
                   "    enabled: true\n"
                   "http:\n"
                   "  addr: 127.0.0.1:" + std::to_string(port_) + "\n");
    std::string error;
    Child::Options options;
    options.log_path = log_path_;
    child_ = Child::Start({bin, "serve", config}, options, &error);
    if (!child_) return ::testing::AssertionFailure() << "cannot start " << bin << ": " << error;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline && child_->Running()) {
      if (HttpGetStatus(port_, "/v2/", std::chrono::seconds(2)) == 200) {
        return ::testing::AssertionSuccess();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    last_error = child_->Running() ? "no answer on /v2/ within 15 s"
                                   : "exited: " + DescribeWaitStatus(*child_->status());
    child_.reset();
  }
  return ::testing::AssertionFailure() << "docker-registry did not come up on 127.0.0.1: " << last_error
                                       << "\nlog:\n" << TailOfFile(log_path_, 8192);
}

std::string Registry::BlobDataPath(const std::string& digest) const {
  std::string hex = digest.substr(digest.find(':') + 1);
  return dir_.Join("storage/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data");
}

Registry* SharedRegistry(std::string* error) {
  static std::unique_ptr<Registry> registry;
  static std::string start_error;
  if (registry) return registry.get();
  if (!start_error.empty()) {
    *error = start_error;
    return nullptr;
  }
  auto candidate = std::make_unique<Registry>();
  auto started = candidate->Start();
  if (!started) {
    start_error = started.message();
    *error = start_error;
    return nullptr;
  }
  registry = std::move(candidate);
  return registry.get();
}

}  // namespace berth::testing
