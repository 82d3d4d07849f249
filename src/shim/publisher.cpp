#include "shim/publisher.h"

#include "base/log.h"
#include "base/status.h"

namespace berth::shim {
namespace {
constexpr char kEventsService[] = "containerd.services.events.ttrpc.v1.Events";
constexpr int kMaxAttempts = 5;
}  // namespace

Publisher::Publisher(std::string address, std::string ns) : address_(std::move(address)), ns_(std::move(ns)) {
  thread_ = std::thread([this] { Run(); });
}

Publisher::~Publisher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  thread_.join();
}

void Publisher::Publish(Event event) {
  std::lock_guard lock(mu_);
  queue_.push_back({.event = std::move(event), .at = Timestamp::Now()});
  cv_.notify_all();
}

bool Publisher::Drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return queue_.empty() && !sending_; });
}

absl::Status Publisher::Send(const Queued& q) {
  if (address_.empty()) return absl::OkStatus();
  if (client_ == nullptr || client_->closed()) {
    ASSIGN_OR_RETURN(client_, ttrpc::Client::Dial(address_));
  }
  auto reply = client_->Call(kEventsService, "Forward", EncodeForwardRequest(q.event, ns_, q.at),
                             {.timeout = std::chrono::seconds(5),
                              .metadata = {{"containerd-namespace-ttrpc", ns_}}});
  return reply.status();
}

void Publisher::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop requested and nothing left
    Queued q = std::move(queue_.front());
    queue_.pop_front();
    sending_ = true;
    lock.unlock();
    absl::Status s = Send(q);
    lock.lock();
    sending_ = false;
    if (!s.ok()) {
      ++q.attempts;
      if (q.attempts >= kMaxAttempts || stop_) {
        log::Error("dropping event {} after {} attempts: {}", q.event.topic, q.attempts, s.ToString());
      } else {
        log::Warn("publishing event {} failed (attempt {}): {}", q.event.topic, q.attempts, s.ToString());
        // Retry in order: later events wait behind this one, so containerd sees them in sequence.
        cv_.wait_for(lock, std::chrono::seconds(q.attempts), [this] { return stop_; });
        queue_.push_front(std::move(q));
      }
    }
    cv_.notify_all();
  }
}

}  // namespace berth::shim
