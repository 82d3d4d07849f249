// A minimal HTTP/1.1 server for Prometheus scrapes of a Registry (see http_handler.h for what it answers).
// One thread accepts and answers one connection at a time: scrapes are rare and small. Each connection has a
// deadline and the request head a size cap, so a stalled or hostile client holds the thread for at most the
// timeout and no more memory than the cap. Stop() interrupts a connection in progress.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "metrics/listen_address.h"
#include "metrics/registry.h"

namespace berth::metrics {

class HttpServer {
 public:
  struct Options {
    std::chrono::milliseconds connection_timeout{std::chrono::seconds(5)};
    size_t max_request_bytes = 8192;
  };

  // Binds and listens (port 0: any free port, see port()), then starts the accept thread. `registry` must
  // outlive the server.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const ListenAddress& address, const Registry* registry,
                                                           Options options);
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const ListenAddress& address, const Registry* registry) {
    return Start(address, registry, Options{});
  }
  ~HttpServer();

  // Closes the listener and joins the thread. Idempotent; callable from any thread (e.g. a signal handler thread).
  void Stop();
  uint16_t port() const { return port_; }

 private:
  HttpServer(UniqueFd listener, UniqueFd stop_event, uint16_t port, const Registry* registry, Options options);
  void AcceptLoop();
  void Serve(UniqueFd connection);
  // Waits until `fd` is ready for `events`; false on the deadline, on Stop, or on a poll error.
  bool WaitReady(int fd, short events, std::chrono::steady_clock::time_point deadline) const;

  UniqueFd listener_;
  UniqueFd stop_event_;  // an eventfd, readable once Stop() was called
  uint16_t port_;
  const Registry* registry_;
  Options options_;
  std::thread thread_;
  std::once_flag stopped_;
};

}  // namespace berth::metrics
