// Services publish what they change on the event exchange, as containerd's do (topics /containers/*, /images/*,
// /namespaces/*, /snapshot/*): the event is a containerd.events.* message, its Any type URL the message's full name.
#pragma once

#include <string>

#include <google/protobuf/message.h>

#include "events/exchange.h"

namespace berth::services {

// A null exchange or an empty namespace publishes nothing; a failure is logged, never returned (the change it
// reports is already made).
void PublishEvent(events::Exchange* exchange, const std::string& ns, const std::string& topic,
                  const google::protobuf::Message& event);

}  // namespace berth::services
