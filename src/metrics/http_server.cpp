#include "metrics/http_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "base/status.h"
#include "metrics/http_handler.h"

namespace berth::metrics {

namespace {

constexpr int kListenBacklog = 16;
constexpr auto kLinger = std::chrono::seconds(1);
constexpr size_t kMaxDrainBytes = 64 * 1024;

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const ListenAddress& address, const Registry* registry,
                                                              Options options) {
  UniqueFd listener(::socket(address.sockaddr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener.valid()) return ErrnoStatus(errno, "socket for metrics address", address.text);
  int one = 1;
  // A restarted daemon can rebind while the previous one's connections sit in TIME_WAIT.
  if (::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    return ErrnoStatus(errno, "setsockopt SO_REUSEADDR on metrics address", address.text);
  }
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address.sockaddr), address.sockaddr_len) != 0) {
    return ErrnoStatus(errno, "bind metrics address", address.text);
  }
  if (::listen(listener.get(), kListenBacklog) != 0) return ErrnoStatus(errno, "listen on", address.text);
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound), &bound_len) != 0) {
    return ErrnoStatus(errno, "getsockname of metrics address", address.text);
  }
  uint16_t port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                    : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  UniqueFd stop_event(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_event.valid()) return ErrnoStatus(errno, "eventfd for metrics server", address.text);

  std::unique_ptr<HttpServer> server(
      new HttpServer(std::move(listener), std::move(stop_event), port, registry, options));
  server->thread_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

HttpServer::HttpServer(UniqueFd listener, UniqueFd stop_event, uint16_t port, const Registry* registry, Options options)
    : listener_(std::move(listener)),
      stop_event_(std::move(stop_event)),
      port_(port),
      registry_(registry),
      options_(options) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  std::call_once(stopped_, [this] {
    uint64_t one = 1;
    // Writing 1 to an eventfd fails only on overflow; the thread then finds it readable on every poll.
    [[maybe_unused]] ssize_t written = ::write(stop_event_.get(), &one, sizeof(one));
    if (thread_.joinable()) thread_.join();
    listener_.Reset();
  });
}

bool HttpServer::WaitReady(int fd, short events, std::chrono::steady_clock::time_point deadline) const {
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[2] = {{.fd = fd, .events = events, .revents = 0},
                     {.fd = stop_event_.get(), .events = POLLIN, .revents = 0}};
    // At most a minute per poll, so a far (or unbounded) deadline never overflows poll's int timeout.
    int n = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
    if (n == 0 || (n < 0 && errno == EINTR)) continue;
    if (n < 0 || fds[1].revents != 0) return false;
    return (fds[0].revents & (events | POLLHUP | POLLERR)) != 0;
  }
}

void HttpServer::AcceptLoop() {
  for (;;) {
    if (!WaitReady(listener_.get(), POLLIN, std::chrono::steady_clock::time_point::max())) {
      // Stop(), or a poll error on the listener, which will not heal: either way this server is done.
      return;
    }
    UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (connection.valid()) Serve(std::move(connection));
    // accept errors (EAGAIN after a client gave up, ECONNABORTED, EMFILE) are the client's or transient.
  }
}

void HttpServer::Serve(UniqueFd connection) {
  const auto deadline = std::chrono::steady_clock::now() + options_.connection_timeout;
  std::string request;
  char buffer[2048];
  std::string response;
  for (;;) {
    if (request.find("\r\n\r\n") != std::string::npos || request.find("\n\n") != std::string::npos) {
      response = RespondToRequest(request, *registry_);
      break;
    }
    if (request.size() > options_.max_request_bytes) {
      response = PlainResponse(431, "Request Header Fields Too Large", "request too large\n");
      break;
    }
    if (!WaitReady(connection.get(), POLLIN, deadline)) return;  // too slow, or stopping: just close
    ssize_t n = ::recv(connection.get(), buffer, sizeof(buffer), 0);
    if (n == 0) return;  // closed before a full request
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return;
    }
    request.append(buffer, static_cast<size_t>(n));
  }
  size_t sent = 0;
  while (sent < response.size()) {
    ssize_t n = ::send(connection.get(), response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!WaitReady(connection.get(), POLLOUT, deadline)) return;
    } else {
      return;  // the client went away
    }
  }
  // Lingering close: half-close, then read until the client closes too. Closing with unread request bytes would
  // send a reset, which can destroy the response in the client's buffer (e.g. a 431 to an oversized request).
  ::shutdown(connection.get(), SHUT_WR);
  const auto linger_deadline = std::min(deadline, std::chrono::steady_clock::now() + kLinger);
  size_t drained = 0;
  while (drained < kMaxDrainBytes && WaitReady(connection.get(), POLLIN, linger_deadline)) {
    ssize_t n = ::recv(connection.get(), buffer, sizeof(buffer), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
    if (n > 0) drained += static_cast<size_t>(n);
  }
}

}  // namespace berth::metrics
