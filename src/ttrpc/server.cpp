#include "ttrpc/server.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "base/log.h"
#include "base/status.h"
#include "ttrpc/frame.h"

namespace berth::ttrpc {

struct Server::Connection {
  explicit Connection(UniqueFd f) : fd(std::move(f)) {}
  UniqueFd fd;
  std::mutex write_mu;
};

Server::~Server() { Shutdown(); }

void Server::Register(const std::string& service, const std::string& method, Method handler) {
  methods_[service + "/" + method] = std::move(handler);
}

absl::Status Server::Serve(UniqueFd listener) {
  if (!listener.valid()) return absl::InvalidArgumentError("ttrpc server: no listening socket");
  // A listener inherited across exec (the shim's fd 3) comes without close-on-exec; nothing we spawn needs it.
  int flags = ::fcntl(listener.get(), F_GETFD);
  if (flags < 0 || ::fcntl(listener.get(), F_SETFD, flags | FD_CLOEXEC) != 0) {
    return ErrnoStatus(errno, "set close-on-exec on", "the ttrpc listener");
  }
  listener_ = std::move(listener);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void Server::AcceptLoop() {
  while (true) {
    int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      std::lock_guard lock(mu_);
      if (!shutting_down_) log::Error("ttrpc accept: {}", std::strerror(errno));
      return;
    }
    UniqueFd conn_fd(fd);
    if (options_.require_same_uid) {
      ucred cred{};
      socklen_t len = sizeof cred;
      if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != ::geteuid()) {
        log::Warn("ttrpc: refused a connection from uid {} (pid {})", cred.uid, cred.pid);
        continue;
      }
    }
    auto conn = std::make_shared<Connection>(std::move(conn_fd));
    std::lock_guard lock(mu_);
    if (shutting_down_) return;
    std::erase_if(connections_, [](const auto& w) { return w.expired(); });
    connections_.push_back(conn);
    ++running_threads_;
    std::thread([this, conn] { ReadLoop(conn); }).detach();
  }
}

void Server::ReadLoop(std::shared_ptr<Connection> conn) {
  while (true) {
    auto frame = ReadFrame(conn->fd.get());
    if (!frame.ok()) {
      if (!absl::IsUnavailable(frame.status())) log::Debug("ttrpc connection ended: {}", frame.status().ToString());
      break;
    }
    const FrameHeader& h = frame->header;
    if (frame->oversized) {
      Reply(*conn, h.stream_id,
            {.status = absl::ResourceExhaustedError(fmt::format(
                 "message length {} exceed maximum message size of {}", h.length, kMaxMessageSize))});
      continue;
    }
    if (h.type != static_cast<uint8_t>(MessageType::kRequest)) continue;  // ignored, as ttrpc does
    auto request = Request::Decode(frame->body);
    if (!request.ok()) {
      Reply(*conn, h.stream_id,
            {.status = absl::InvalidArgumentError(
                 fmt::format("unmarshal request error: {}", std::string(request.status().message())))});
      continue;
    }
    if (h.stream_id % 2 != 1) {
      Reply(*conn, h.stream_id,
            {.status = absl::InvalidArgumentError("StreamID must be odd for client initiated streams")});
      continue;
    }
    std::lock_guard lock(mu_);
    if (shutting_down_) break;
    ++requests_in_flight_;
    jobs_.push_back([this, conn, id = h.stream_id, req = std::move(*request)]() mutable {
      Dispatch(std::move(conn), id, std::move(req));
    });
    // Never fewer free handler threads than queued requests: a handler that blocks (Wait) holds up nobody.
    if (jobs_.size() > static_cast<size_t>(idle_handlers_ + starting_handlers_)) {
      ++running_threads_;
      ++starting_handlers_;
      std::thread([this] { HandlerLoop(); }).detach();
    } else {
      jobs_cv_.notify_one();
    }
  }
  ::shutdown(conn->fd.get(), SHUT_RDWR);
  conn.reset();
  ThreadDone();
}

void Server::Dispatch(std::shared_ptr<Connection> conn, uint32_t stream_id, Request request) {
  Response response;
  auto it = methods_.find(request.service + "/" + request.method);
  if (it == methods_.end()) {
    response.status = absl::UnimplementedError(
        fmt::format("method {}/{} is not implemented", request.service, request.method));
  } else {
    CallContext ctx{.metadata = request.metadata};
    if (request.timeout_nano > 0) {
      ctx.deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(request.timeout_nano);
    }
    auto result = it->second(ctx, request.payload);
    if (result.ok()) {
      response.payload = std::move(*result);
    } else {
      response.status = result.status();
    }
  }
  Reply(*conn, stream_id, response);
  conn.reset();
  std::lock_guard lock(mu_);
  --requests_in_flight_;
  cv_.notify_all();
}

void Server::HandlerLoop() {
  std::unique_lock lock(mu_);
  --starting_handlers_;
  while (true) {
    if (jobs_.empty()) {
      if (shutting_down_) break;
      ++idle_handlers_;
      bool woke = jobs_cv_.wait_for(lock, kHandlerIdleTimeout, [this] { return !jobs_.empty() || shutting_down_; });
      --idle_handlers_;
      if (!woke || jobs_.empty()) break;  // idle for long, or shutting down
    }
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    job = nullptr;  // drops its connection reference outside the lock
    lock.lock();
  }
  lock.unlock();
  ThreadDone();
}

void Server::Reply(Connection& conn, uint32_t stream_id, const Response& response) {
  std::string body = response.Encode();
  if (body.size() > kMaxMessageSize) {
    body = Response{.status = absl::ResourceExhaustedError(
                        fmt::format("response of {} bytes exceeds the maximum message size", body.size()))}
               .Encode();
  }
  std::lock_guard lock(conn.write_mu);
  absl::Status s = WriteFrame(conn.fd.get(), stream_id, MessageType::kResponse, body);
  if (!s.ok()) log::Debug("ttrpc: dropping response on stream {}: {}", stream_id, s.ToString());
}

void Server::ThreadDone() {
  std::lock_guard lock(mu_);
  --running_threads_;
  cv_.notify_all();
}

bool Server::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return requests_in_flight_ == 0; });
}

void Server::Shutdown() {
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return;
    shutting_down_ = true;
    jobs_cv_.notify_all();
    // Wakes accept(2) and every blocked read(2); the fds are closed by their owners.
    if (listener_.valid()) ::shutdown(listener_.get(), SHUT_RDWR);
    for (auto& weak : connections_) {
      if (auto conn = weak.lock()) ::shutdown(conn->fd.get(), SHUT_RDWR);
    }
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return running_threads_ == 0; });
}

}  // namespace berth::ttrpc
