// Servers for the registry client's integration tests, all real processes on 127.0.0.1:
//   RegistryServer  docker-registry with optional htpasswd basic auth and/or TLS (a throwaway CA made with the
//                   openssl CLI), beside tests/util's SharedRegistry which has neither
//   HelperServer    tests/util/fault_proxy.py or token_auth_proxy.py in front of a registry
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/util/files.h"
#include "tests/util/subprocess.h"

namespace berth::remotes::testing {

struct RegistryServerOptions {
  std::string username, password;  // non-empty: htpasswd basic auth with this one user
  bool tls = false;                // serve https with a certificate for IP 127.0.0.1 signed by ca_file()
};

class RegistryServer {
 public:
  RegistryServer();
  ~RegistryServer();
  ::testing::AssertionResult Start(const RegistryServerOptions& options);

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  const std::string& ca_file() const { return ca_file_; }
  std::string log() const { return berth::testing::TailOfFile(log_path_, 8192); }

 private:
  ::testing::AssertionResult MakeCertificates();
  berth::testing::TempDir dir_;
  std::string log_path_, ca_file_;
  int port_ = 0;
  std::optional<berth::testing::Child> child_;
};

class HelperServer {
 public:
  // Runs tests/util/<script> --port P <args...> and waits (bounded) until P accepts connections.
  ::testing::AssertionResult Start(const std::string& script, const std::vector<std::string>& args);
  ~HelperServer();
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return berth::testing::TailOfFile(log_path_, 8192); }

 private:
  berth::testing::TempDir dir_{"berth-remotes-helper"};
  std::string log_path_;
  int port_ = 0;
  std::optional<berth::testing::Child> child_;
};

// True once 127.0.0.1:port accepts a TCP connection, within `timeout`.
bool WaitForPort(int port, std::chrono::milliseconds timeout);

}  // namespace berth::remotes::testing
