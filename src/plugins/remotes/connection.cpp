#include "plugins/remotes/connection.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "absl/time/clock.h"
#include "base/status.h"
#include "plugins/remotes/errors.h"

namespace berth::remotes {
namespace {

constexpr size_t kBufferSize = 16 * 1024;
// The longest single poll: how often a blocked read notices cancellation.
constexpr absl::Duration kPollSlice = absl::Milliseconds(100);

// OpenSSL writes with write(2); a vanished peer must be an error, not SIGPIPE for the process. Blocks SIGPIPE
// on this thread for the duration and swallows one raised meanwhile.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      timespec zero{};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
};

absl::Duration Remaining(absl::Time end) { return std::max(absl::ZeroDuration(), end - absl::Now()); }

}  // namespace

absl::Status Connection::ErrnoError(int err, std::string_view op) const {
  std::string message = fmt::format("{} {}: {}", op, endpoint_, std::strerror(err));
  switch (err) {
    case ECONNREFUSED: return TransientError(kReasonRefused, message);
    case ECONNRESET: case EPIPE: case ECONNABORTED: return TransientError(kReasonReset, message);
    case ETIMEDOUT: return TransientError(kReasonTimeout, message);
    case ENETUNREACH: case EHOSTUNREACH: case ENETDOWN: case EHOSTDOWN:
      return TransientError(kReasonUnreachable, message);
    default: return WithReason(ErrnoStatus(err, op, endpoint_), kReasonOther);
  }
}

absl::Status Connection::Wait(const Context& ctx, short events, std::string_view op) const {
  absl::Time idle_end = absl::Now() + absl::FromChrono(options_.idle_timeout);
  for (;;) {
    if (ctx.Cancelled()) return absl::CancelledError(fmt::format("{} {}: cancelled", op, endpoint_));
    absl::Time now = absl::Now();
    if (now >= ctx.deadline) return absl::DeadlineExceededError(fmt::format("{} {}: deadline passed", op, endpoint_));
    if (now >= idle_end) {
      return TransientError(kReasonTimeout, fmt::format("{} {}: no progress for {} ms", op, endpoint_,
                                                        options_.idle_timeout.count()));
    }
    absl::Duration slice = std::min({kPollSlice, idle_end - now, ctx.deadline - now});
    pollfd p{.fd = fd_.get(), .events = events, .revents = 0};
    int n = ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(slice)) + 1);
    if (n > 0) return absl::OkStatus();  // readable, writable, or an error the next syscall reports
    if (n < 0 && errno != EINTR) return ErrnoError(errno, "poll");
  }
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const Context& ctx, const Url& url,
                                                             std::shared_ptr<TlsContext> tls,
                                                             const ConnectOptions& options) {
  std::string endpoint = url.Endpoint();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* addrs = nullptr;
  // getaddrinfo has no timeout of its own; resolv.conf's timeout/attempts bound it.
  int rc = getaddrinfo(url.host.c_str(), std::to_string(url.port).c_str(), &hints, &addrs);
  if (rc != 0) {
    std::string message = fmt::format("resolve {}: {}", url.host, gai_strerror(rc));
    if (rc == EAI_AGAIN) return TransientError(kReasonDns, message);
    return WithReason(absl::NotFoundError(message), kReasonDns);
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addrs_owner(addrs, &freeaddrinfo);
  absl::Time connect_end = absl::Now() + absl::FromChrono(options.connect_timeout);
  absl::Status last = absl::UnavailableError(fmt::format("connect {}: no addresses", endpoint));
  for (addrinfo* a = addrs; a != nullptr; a = a->ai_next) {
    UniqueFd fd(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol));
    if (!fd.valid()) return ErrnoStatus(errno, "socket", endpoint);
    std::unique_ptr<Connection> conn(new Connection(std::move(fd), endpoint, options));
    int one = 1;
    setsockopt(conn->fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::connect(conn->fd_.get(), a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last = conn->ErrnoError(errno, "connect");
        continue;
      }
      ConnectOptions bounded = options;
      bounded.idle_timeout = absl::ToChronoMilliseconds(Remaining(connect_end));
      conn->options_ = bounded;
      absl::Status ready = conn->Wait(ctx, POLLOUT, "connect");
      conn->options_ = options;
      if (!ready.ok()) {
        if (!IsTransient(ready)) return ready;  // cancelled or past the deadline
        last = ready;
        continue;
      }
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(conn->fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        last = conn->ErrnoError(err, "connect");
        continue;
      }
    }
    if (tls) RETURN_IF_ERROR(conn->Handshake(ctx, *tls, url.host));
    return conn;
  }
  return last;
}

absl::Status Connection::Handshake(const Context& ctx, TlsContext& tls, const std::string& host) {
  ASSIGN_OR_RETURN(ssl_, tls.NewSession(host));
  SSL_set_fd(ssl_, fd_.get());
  SigpipeGuard guard;
  for (int round = 0; round < 64; ++round) {  // a handshake takes a few round trips; bound the loop anyway
    ERR_clear_error();
    int rc = SSL_connect(ssl_);
    if (rc == 1) return absl::OkStatus();
    int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      RETURN_IF_ERROR(Wait(ctx, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, "TLS handshake with"));
      continue;
    }
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      // Permanent: retrying cannot make an untrusted certificate trusted.
      return WithReason(absl::FailedPreconditionError(fmt::format(
                            "TLS handshake with {}: certificate not trusted: {} (configure ca_file for this "
                            "registry host, or skip_verify for tests)",
                            endpoint_, X509_verify_cert_error_string(verify))),
                        kReasonTls);
    }
    if (err == SSL_ERROR_SYSCALL && errno != 0) return ErrnoError(errno, "TLS handshake with");
    return TransientError(kReasonTls, fmt::format("TLS handshake with {}: {}", endpoint_, DrainTlsErrors()));
  }
  return TransientError(kReasonTls, fmt::format("TLS handshake with {}: too many rounds", endpoint_));
}

Connection::~Connection() {
  if (ssl_ != nullptr) SSL_free(ssl_);  // no close_notify: the socket closes right after, bytes would be moot
}

absl::Status Connection::WriteAll(const Context& ctx, std::string_view data) {
  SigpipeGuard guard;
  while (!data.empty()) {
    size_t written = 0;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      int rc = SSL_write_ex(ssl_, data.data(), data.size(), &written);
      if (rc != 1) {
        int err = SSL_get_error(ssl_, rc);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
          RETURN_IF_ERROR(Wait(ctx, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, "write to"));
          continue;
        }
        if (err == SSL_ERROR_SYSCALL && errno != 0) return ErrnoError(errno, "write to");
        return TransientError(kReasonReset, fmt::format("write to {}: {}", endpoint_, DrainTlsErrors()));
      }
    } else {
      ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {
          RETURN_IF_ERROR(Wait(ctx, POLLOUT, "write to"));
          continue;
        }
        return ErrnoError(errno, "write to");
      }
      written = static_cast<size_t>(n);
    }
    data.remove_prefix(written);
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> Connection::ReadSocket(const Context& ctx, char* data, size_t size) {
  for (;;) {
    if (ssl_ != nullptr) {
      // Decrypted bytes may already wait inside OpenSSL while the socket is quiet: try before polling.
      ERR_clear_error();
      size_t got = 0;
      int rc = SSL_read_ex(ssl_, data, size, &got);
      if (rc == 1) return got;
      int err = SSL_get_error(ssl_, rc);
      if (err == SSL_ERROR_ZERO_RETURN) return 0;
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        RETURN_IF_ERROR(Wait(ctx, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, "read from"));
        continue;
      }
      if (err == SSL_ERROR_SYSCALL && errno != 0) return ErrnoError(errno, "read from");
      return TransientError(kReasonReset, fmt::format("read from {}: {}", endpoint_, DrainTlsErrors()));
    }
    ssize_t n = ::recv(fd_.get(), data, size, 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return ErrnoError(errno, "read from");
    RETURN_IF_ERROR(Wait(ctx, POLLIN, "read from"));
  }
}

absl::StatusOr<size_t> Connection::Read(const Context& ctx, std::span<char> buf) {
  if (buf.empty()) return 0;
  if (start_ < end_) {
    size_t n = std::min(buf.size(), end_ - start_);
    std::memcpy(buf.data(), buffer_.data() + start_, n);
    start_ += n;
    return n;
  }
  return ReadSocket(ctx, buf.data(), buf.size());
}

absl::StatusOr<std::string> Connection::ReadLine(const Context& ctx, size_t max) {
  if (buffer_.size() < kBufferSize) buffer_.resize(kBufferSize);
  for (;;) {
    auto begin = buffer_.begin() + static_cast<ptrdiff_t>(start_);
    auto stop = buffer_.begin() + static_cast<ptrdiff_t>(end_);
    auto newline = std::find(begin, stop, '\n');
    if (newline != stop) {
      std::string line(begin, newline);
      start_ += line.size() + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (end_ - start_ >= max) {
      return absl::InvalidArgumentError(fmt::format("HTTP line from {} longer than {} bytes", endpoint_, max));
    }
    if (start_ > 0) {  // compact so the free space is at the end
      std::memmove(buffer_.data(), buffer_.data() + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
    ASSIGN_OR_RETURN(size_t n, ReadSocket(ctx, buffer_.data() + end_, buffer_.size() - end_));
    if (n == 0) {
      return TransientError(kReasonEof, fmt::format("read from {}: connection closed mid-line", endpoint_));
    }
    end_ += n;
  }
}

bool Connection::IdleAndOpen() const {
  if (start_ < end_) return false;
  if (ssl_ != nullptr && SSL_pending(ssl_) > 0) return false;
  pollfd p{.fd = fd_.get(), .events = POLLIN, .revents = 0};
  return ::poll(&p, 1, 0) == 0;  // readable while idle means closed (EOF) or junk: not reusable
}

}  // namespace berth::remotes
