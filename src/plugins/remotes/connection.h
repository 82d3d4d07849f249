// One TCP (optionally TLS) connection with bounded waits: connect within connect_timeout, and no single read or
// write waits longer than idle_timeout or past the Context's deadline; cancellation is checked while waiting.
// Not thread-safe: one request/response at a time, owned by one caller (or parked in a pool).
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/context.h"
#include "base/unique_fd.h"
#include "plugins/remotes/tls.h"
#include "plugins/remotes/url.h"

namespace berth::remotes {

struct ConnectOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};
};

class Connection {
 public:
  // Resolves url.host, connects to the first address that answers, and does the TLS handshake when `tls` is set.
  // Failures are transient (refused, timeout, unreachable, tls handshake) except certificate errors.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const Context& ctx, const Url& url,
                                                          std::shared_ptr<TlsContext> tls,
                                                          const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  absl::Status WriteAll(const Context& ctx, std::string_view data);
  // Up to buf.size() bytes, buffered ones first; 0 means the peer closed the connection.
  absl::StatusOr<size_t> Read(const Context& ctx, std::span<char> buf);
  // One line without its CRLF; at most `max` bytes. EOF before the newline is a transient "eof" error.
  absl::StatusOr<std::string> ReadLine(const Context& ctx, size_t max);

  // False when an idle (pooled) connection was closed by the peer or has unexpected bytes waiting.
  bool IdleAndOpen() const;
  // "host:port", for errors.
  const std::string& endpoint() const { return endpoint_; }

 private:
  Connection(UniqueFd fd, std::string endpoint, ConnectOptions options)
      : fd_(std::move(fd)), endpoint_(std::move(endpoint)), options_(options) {}
  absl::Status Handshake(const Context& ctx, TlsContext& tls, const std::string& host);
  // Waits until the socket is ready for `events` (POLLIN/POLLOUT) within the idle timeout and ctx.
  absl::Status Wait(const Context& ctx, short events, std::string_view op) const;
  absl::StatusOr<size_t> ReadSocket(const Context& ctx, char* data, size_t size);
  absl::Status ErrnoError(int err, std::string_view op) const;

  UniqueFd fd_;
  std::string endpoint_;
  ConnectOptions options_;
  SSL* ssl_ = nullptr;
  std::vector<char> buffer_;  // bytes read but not yet consumed: buffer_[start_, end_)
  size_t start_ = 0, end_ = 0;
};

}  // namespace berth::remotes
