#pragma once
// A python helper server of tests/util on a free 127.0.0.1 port, killed on destruction:
//   fault_proxy.py       a fault-injecting proxy in front of a registry (cut, reset, stall, 503/429, redirect…)
//   token_auth_proxy.py  a Bearer token realm in front of a registry
//
//   HelperServer proxy;
//   ASSERT_TRUE(proxy.Start("fault_proxy.py", {"--upstream", registry.host(), "--fault", "cut", "--after", "1000"}));
//   proxy.host();   // "127.0.0.1:PORT"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/util/files.h"
#include "tests/util/subprocess.h"

namespace berth::testing {

class HelperServer {
 public:
  // Runs tests/util/<script> --port P <args...> and waits (bounded) until P accepts connections.
  ::testing::AssertionResult Start(const std::string& script, const std::vector<std::string>& args);
  ~HelperServer();
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return TailOfFile(log_path_, 8192); }

 private:
  TempDir dir_{"berth-helper-server"};
  std::string log_path_;
  int port_ = 0;
  std::optional<Child> child_;
};

// Whether 127.0.0.1:port accepts a TCP connection within `timeout`.
bool WaitForPort(int port, std::chrono::milliseconds timeout);

}  // namespace berth::testing
