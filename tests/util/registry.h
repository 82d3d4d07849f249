#pragma once
// A real docker-registry (distribution 2.8, Debian package) on 127.0.0.1 with a temp storage dir.
//
//   Registry* registry = SharedRegistry(&error);   // started once per test process, stopped at exit
//   ASSERT_NE(registry, nullptr) << error;
//   registry->host();                              // "127.0.0.1:PORT"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tests/util/files.h"
#include "tests/util/subprocess.h"

namespace berth::testing {

class Registry {
 public:
  // access_log: the registry logs every request to log_path() (e.g. to count blob fetches).
  explicit Registry(bool access_log = false);
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry();

  // Picks a free port, starts docker-registry ($BERTH_TEST_REGISTRY or /usr/bin/docker-registry) and waits
  // (bounded) until GET /v2/ answers 200. Retries with another port if the first was taken meanwhile.
  ::testing::AssertionResult Start();
  void Stop();

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& log_path() const { return log_path_; }
  // Where the registry keeps blob `digest` ("sha256:…") on disk (to corrupt it in tests).
  std::string BlobDataPath(const std::string& digest) const;

 private:
  TempDir dir_;
  bool access_log_ = false;
  std::string log_path_;
  int port_ = 0;
  std::optional<Child> child_;
};

// The registry of this test process, started on first use; nullptr (and *error set) if it cannot start.
Registry* SharedRegistry(std::string* error);

// Minimal HTTP/1.0 GET against 127.0.0.1:port; returns the status code, or -1 if the connection failed.
int HttpGetStatus(int port, const std::string& path, std::chrono::milliseconds timeout);

}  // namespace berth::testing
