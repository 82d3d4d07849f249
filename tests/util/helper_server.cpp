#include "tests/util/helper_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace berth::testing {

bool WaitForPort(int port, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  return false;
}

::testing::AssertionResult HelperServer::Start(const std::string& script, const std::vector<std::string>& args) {
  log_path_ = dir_.Join("helper.log");
  port_ = FreeLoopbackPort();
  std::vector<std::string> argv = {BERTH_PYTHON3, std::string(BERTH_TEST_UTIL_DIR) + "/" + script, "--port",
                                   std::to_string(port_)};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string error;
  child_ = Child::Start(argv, {.log_path = log_path_}, &error);
  if (!child_) return ::testing::AssertionFailure() << "cannot start " << script << ": " << error;
  if (!WaitForPort(port_, std::chrono::seconds(10))) {
    return ::testing::AssertionFailure() << script << " did not listen on " << host() << "\n" << log();
  }
  return ::testing::AssertionSuccess();
}

HelperServer::~HelperServer() {
  if (child_) child_->KillAndReap();
}

}  // namespace berth::testing
