// events::Exchange: berthd's in-process event bus, as containerd's events/exchange. Services and the runtime
// manager Publish; shims' events arrive through Forward; Events.Subscribe streams read a Subscription.
//
// Thread-safe. A subscriber that falls behind by more than kMaxQueued events loses the oldest ones (logged): a
// stuck client must never block publishers nor grow berthd's memory without bound.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "filters/filter.h"

namespace berth::events {

struct Envelope {
  absl::Time timestamp;
  std::string ns;
  std::string topic;
  std::string type_url;  // the event's Any: "containerd.events.TaskExit", ...
  std::string value;     // its protobuf encoding
};

class Exchange;

class Subscription {
 public:
  ~Subscription();
  // The next event, or nullopt if none arrived within `timeout`.
  std::optional<Envelope> Next(absl::Duration timeout);

 private:
  friend class Exchange;
  Subscription(Exchange* exchange, filters::Filter filter) : exchange_(exchange), filter_(std::move(filter)) {}

  Exchange* exchange_;
  filters::Filter filter_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Envelope> queue_;
  size_t dropped_ = 0;
};

class Exchange {
 public:
  static constexpr size_t kMaxQueued = 4096;

  // Stamps the time. InvalidArgument for an empty namespace or a topic that does not start with "/" (as
  // containerd's exchange validates).
  absl::Status Publish(const std::string& ns, const std::string& topic, const std::string& type_url,
                       std::string value);
  // An envelope published elsewhere (a shim), kept as it came.
  absl::Status Forward(Envelope envelope);
  // Filters over "namespace", "topic" (containerd's syntax); InvalidArgument if they do not parse.
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const std::vector<std::string>& filters);

 private:
  friend class Subscription;
  void Unsubscribe(Subscription* s);

  std::mutex mu_;
  std::vector<Subscription*> subscribers_;
};

}  // namespace berth::events
