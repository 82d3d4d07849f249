// Servers for the registry client's integration tests, all real processes on 127.0.0.1:
//   RegistryServer  docker-registry with optional htpasswd basic auth and/or TLS (a throwaway CA made with the
//                   openssl CLI), beside tests/util's SharedRegistry which has neither
// (tests/util/helper_server.h runs the python fault and token proxies in front of a registry.)
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/util/files.h"
#include "tests/util/helper_server.h"
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

}  // namespace berth::remotes::testing
