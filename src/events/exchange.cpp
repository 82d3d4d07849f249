#include "events/exchange.h"

#include <algorithm>

#include "base/log.h"
#include "fmt/format.h"

namespace berth::events {

namespace {

filters::Adaptor Adapt(const Envelope& e) {
  return [&e](const std::vector<std::string>& path) -> std::optional<std::string> {
    if (path.size() != 1) return std::nullopt;
    if (path[0] == "namespace") return e.ns;
    if (path[0] == "topic") return e.topic;
    return std::nullopt;
  };
}

absl::Status Validate(const Envelope& e) {
  if (e.ns.empty()) return absl::InvalidArgumentError("event: namespace is required");
  if (e.topic.empty() || e.topic[0] != '/') {
    return absl::InvalidArgumentError(fmt::format("event topic \"{}\" must start with '/'", e.topic));
  }
  return absl::OkStatus();
}

}  // namespace

Subscription::~Subscription() { exchange_->Unsubscribe(this); }

std::optional<Envelope> Subscription::Next(absl::Duration timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return !queue_.empty(); })) return std::nullopt;
  Envelope e = std::move(queue_.front());
  queue_.pop_front();
  return e;
}

absl::Status Exchange::Publish(const std::string& ns, const std::string& topic, const std::string& type_url,
                               std::string value) {
  return Forward({.timestamp = absl::Now(), .ns = ns, .topic = topic, .type_url = type_url,
                  .value = std::move(value)});
}

absl::Status Exchange::Forward(Envelope envelope) {
  absl::Status valid = Validate(envelope);
  if (!valid.ok()) return valid;
  std::lock_guard lock(mu_);
  for (Subscription* s : subscribers_) {
    if (!s->filter_.Match(Adapt(envelope))) continue;
    std::lock_guard sub_lock(s->mu_);
    if (s->queue_.size() >= kMaxQueued) {
      s->queue_.pop_front();
      if (s->dropped_++ % 1024 == 0) log::Warn("events: a slow subscriber lost {} events so far", s->dropped_);
    }
    s->queue_.push_back(envelope);
    s->cv_.notify_one();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Subscription>> Exchange::Subscribe(const std::vector<std::string>& filters) {
  absl::StatusOr<filters::Filter> filter = filters::Filter::Parse(filters);
  if (!filter.ok()) return absl::InvalidArgumentError(filter.status().message());
  std::unique_ptr<Subscription> s(new Subscription(this, *std::move(filter)));
  std::lock_guard lock(mu_);
  subscribers_.push_back(s.get());
  return s;
}

void Exchange::Unsubscribe(Subscription* s) {
  std::lock_guard lock(mu_);
  std::erase(subscribers_, s);
}

}  // namespace berth::events
