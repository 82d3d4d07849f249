#include "services/publish.h"

#include "base/log.h"

namespace berth::services {

void PublishEvent(events::Exchange* exchange, const std::string& ns, const std::string& topic,
                  const google::protobuf::Message& event) {
  if (exchange == nullptr || ns.empty()) return;
  absl::Status s = exchange->Publish(ns, topic, event.GetDescriptor()->full_name(), event.SerializeAsString());
  if (!s.ok()) log::Warn("publish {}: {}", topic, s.ToString());
}

}  // namespace berth::services
