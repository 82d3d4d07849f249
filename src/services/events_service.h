// events.v1.Events over the in-process exchange: Publish (namespace from the call), Forward (envelope as is),
// Subscribe (a server stream until the client cancels or berthd stops).
#pragma once

#include <atomic>

#include "events/exchange.h"
#include "github.com/containerd/containerd/api/services/events/v1/events.grpc.pb.h"

namespace berth::services {

class EventsService final : public containerd::services::events::v1::Events::Service {
 public:
  explicit EventsService(events::Exchange* exchange) : exchange_(exchange) {}

  grpc::Status Publish(grpc::ServerContext*, const containerd::services::events::v1::PublishRequest*,
                       google::protobuf::Empty*) override;
  grpc::Status Forward(grpc::ServerContext*, const containerd::services::events::v1::ForwardRequest*,
                       google::protobuf::Empty*) override;
  grpc::Status Subscribe(grpc::ServerContext*, const containerd::services::events::v1::SubscribeRequest*,
                         grpc::ServerWriter<containerd::services::events::v1::Envelope>*) override;

  // Ends every Subscribe stream (before the gRPC server shuts down, which waits for them).
  void Stop() { stopping_ = true; }

 private:
  events::Exchange* exchange_;
  std::atomic<bool> stopping_ = false;
};

}  // namespace berth::services
