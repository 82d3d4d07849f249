#include "ttrpc/client.h"

#include <sys/socket.h>

#include "base/status.h"
#include "ttrpc/frame.h"
#include "ttrpc/unix_socket.h"

namespace berth::ttrpc {

absl::StatusOr<std::unique_ptr<Client>> Client::Dial(const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd fd, ConnectUnix(path));
  return std::make_unique<Client>(std::move(fd));
}

Client::Client(UniqueFd fd) : fd_(std::move(fd)) {
  reader_ = std::thread([this] { ReadLoop(); });
}

Client::~Client() { Close(); }

void Client::Close() {
  {
    std::lock_guard lock(mu_);
    if (!closed_) ::shutdown(fd_.get(), SHUT_RDWR);  // wakes the reader
    closed_ = true;
    cv_.notify_all();
  }
  if (reader_.joinable() && reader_.get_id() != std::this_thread::get_id()) reader_.join();
}

bool Client::closed() {
  std::lock_guard lock(mu_);
  return closed_;
}

void Client::ReadLoop() {
  absl::Status end;
  while (true) {
    auto frame = ReadFrame(fd_.get());
    if (!frame.ok()) {
      end = frame.status();
      break;
    }
    if (frame->header.type != static_cast<uint8_t>(MessageType::kResponse)) continue;
    absl::StatusOr<Response> response =
        frame->oversized ? absl::ResourceExhaustedError("ttrpc response exceeds the maximum message size")
                         : Response::Decode(frame->body);
    std::lock_guard lock(mu_);
    auto it = pending_.find(frame->header.stream_id);
    if (it == pending_.end()) continue;  // the caller gave up (deadline)
    it->second->done = true;
    it->second->result = std::move(response);
    pending_.erase(it);
    cv_.notify_all();
  }
  std::lock_guard lock(mu_);
  closed_ = true;
  for (auto& [id, p] : pending_) {
    p->done = true;
    p->result = absl::UnavailableError(fmt::format("ttrpc connection closed: {}", end.ToString()));
  }
  pending_.clear();
  cv_.notify_all();
}

absl::StatusOr<std::string> Client::Call(std::string_view service, std::string_view method,
                                         std::string_view payload, const CallOptions& options) {
  Request request{.service = std::string(service),
                  .method = std::string(method),
                  .payload = std::string(payload),
                  .timeout_nano = options.timeout.count(),
                  .metadata = options.metadata};
  std::string body = request.Encode();
  auto pending = std::make_shared<Pending>();
  uint32_t id;
  {
    std::lock_guard lock(mu_);
    if (closed_) return absl::UnavailableError("ttrpc connection is closed");
    id = next_stream_id_;
    next_stream_id_ += 2;
    pending_[id] = pending;
  }
  absl::Status written;
  {
    std::lock_guard lock(write_mu_);
    written = WriteFrame(fd_.get(), id, MessageType::kRequest, body);
  }
  std::unique_lock lock(mu_);
  if (!written.ok()) {
    pending_.erase(id);
    return WithContext(written, fmt::format("ttrpc call {}/{}", service, method));
  }
  auto done = [&] { return pending->done; };
  if (options.timeout.count() > 0) {
    if (!cv_.wait_for(lock, options.timeout, done)) {
      pending_.erase(id);
      return absl::DeadlineExceededError(fmt::format("ttrpc call {}/{}: no reply within {} ms", service, method,
                                                     options.timeout.count() / 1000000));
    }
  } else {
    cv_.wait(lock, done);
  }
  if (!pending->result.ok()) return pending->result.status();
  if (!pending->result->status.ok()) return pending->result->status;
  return std::move(pending->result->payload);
}

}  // namespace berth::ttrpc
