#include "services/events_service.h"

#include "services/convert.h"

namespace berth::services {

namespace api = containerd::services::events::v1;

grpc::Status EventsService::Publish(grpc::ServerContext* sc, const api::PublishRequest* req,
                                    google::protobuf::Empty*) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  return ToGrpc(exchange_->Publish(ctx->ns, req->topic(), req->event().type_url(), req->event().value()));
}

grpc::Status EventsService::Forward(grpc::ServerContext*, const api::ForwardRequest* req, google::protobuf::Empty*) {
  const api::Envelope& e = req->envelope();
  return ToGrpc(exchange_->Forward({.timestamp = FromProto(e.timestamp()),
                                    .ns = e.namespace_(),
                                    .topic = e.topic(),
                                    .type_url = e.event().type_url(),
                                    .value = e.event().value()}));
}

grpc::Status EventsService::Subscribe(grpc::ServerContext* sc, const api::SubscribeRequest* req,
                                      grpc::ServerWriter<api::Envelope>* writer) {
  auto subscription = exchange_->Subscribe(FromProto(req->filters()));
  if (!subscription.ok()) return ToGrpc(subscription.status());
  // Wakes up every 200 ms to notice a cancelled client or a stopping daemon.
  while (!sc->IsCancelled() && !stopping_) {
    std::optional<events::Envelope> e = (*subscription)->Next(absl::Milliseconds(200));
    if (!e) continue;
    api::Envelope out;
    ToProto(e->timestamp, out.mutable_timestamp());
    out.set_namespace_(e->ns);
    out.set_topic(e->topic);
    out.mutable_event()->set_type_url(e->type_url);
    out.mutable_event()->set_value(e->value);
    if (!writer->Write(out)) break;
  }
  return grpc::Status::OK;
}

}  // namespace berth::services
