#include "services/containers_service.h"

#include "github.com/containerd/containerd/api/events/container.pb.h"
#include "services/convert.h"
#include "services/publish.h"

namespace berth::services {

namespace api = containerd::services::containers::v1;

namespace {

containers::Any FromProto(const google::protobuf::Any& any) { return {.type_url = any.type_url(), .value = any.value()}; }

void ToProto(const containers::Any& any, google::protobuf::Any* out) {
  out->set_type_url(any.type_url);
  out->set_value(any.value);
}

void ToProto(const containers::Container& c, api::Container* out) {
  out->set_id(c.id);
  services::ToProto(c.labels, out->mutable_labels());
  out->set_image(c.image);
  out->mutable_runtime()->set_name(c.runtime.name);
  if (c.runtime.options) ToProto(*c.runtime.options, out->mutable_runtime()->mutable_options());
  if (c.spec) ToProto(*c.spec, out->mutable_spec());
  out->set_snapshotter(c.snapshotter);
  out->set_snapshot_key(c.snapshot_key);
  services::ToProto(c.created_at, out->mutable_created_at());
  services::ToProto(c.updated_at, out->mutable_updated_at());
  for (const auto& [k, v] : c.extensions) ToProto(v, &(*out->mutable_extensions())[k]);
}

containers::Container FromProto(const api::Container& c) {
  containers::Container out{.id = c.id(), .labels = services::FromProto(c.labels()), .image = c.image()};
  out.runtime.name = c.runtime().name();
  if (c.runtime().has_options()) out.runtime.options = FromProto(c.runtime().options());
  if (c.has_spec()) out.spec = FromProto(c.spec());
  out.snapshotter = c.snapshotter();
  out.snapshot_key = c.snapshot_key();
  for (const auto& [k, v] : c.extensions()) out.extensions[k] = FromProto(v);
  return out;
}

}  // namespace

grpc::Status ContainersService::Get(grpc::ServerContext* sc, const api::GetContainerRequest* req,
                                    api::GetContainerResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto c = store_->Get(*ctx, req->id());
  if (!c.ok()) return ToGrpc(c.status());
  ToProto(*c, resp->mutable_container());
  return grpc::Status::OK;
}

grpc::Status ContainersService::List(grpc::ServerContext* sc, const api::ListContainersRequest* req,
                                     api::ListContainersResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto list = store_->List(*ctx, services::FromProto(req->filters()));
  if (!list.ok()) return ToGrpc(list.status());
  for (const auto& c : *list) ToProto(c, resp->add_containers());
  return grpc::Status::OK;
}

grpc::Status ContainersService::ListStream(grpc::ServerContext* sc, const api::ListContainersRequest* req,
                                           grpc::ServerWriter<api::ListContainerMessage>* writer) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto list = store_->List(*ctx, services::FromProto(req->filters()));
  if (!list.ok()) return ToGrpc(list.status());
  for (const auto& c : *list) {
    api::ListContainerMessage msg;
    ToProto(c, msg.mutable_container());
    if (!writer->Write(msg)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
  }
  return grpc::Status::OK;
}

grpc::Status ContainersService::Create(grpc::ServerContext* sc, const api::CreateContainerRequest* req,
                                       api::CreateContainerResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto created = store_->Create(*ctx, FromProto(req->container()));
  if (!created.ok()) return ToGrpc(created.status());
  ToProto(*created, resp->mutable_container());
  containerd::events::ContainerCreate event;
  event.set_id(created->id);
  event.set_image(created->image);
  event.mutable_runtime()->set_name(created->runtime.name);
  if (created->runtime.options) ToProto(*created->runtime.options, event.mutable_runtime()->mutable_options());
  PublishEvent(exchange_, ctx->ns, "/containers/create", event);
  return grpc::Status::OK;
}

grpc::Status ContainersService::Update(grpc::ServerContext* sc, const api::UpdateContainerRequest* req,
                                       api::UpdateContainerResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto updated = store_->Update(*ctx, FromProto(req->container()), services::FromProto(req->update_mask()));
  if (!updated.ok()) return ToGrpc(updated.status());
  ToProto(*updated, resp->mutable_container());
  containerd::events::ContainerUpdate event;
  event.set_id(updated->id);
  event.set_image(updated->image);
  services::ToProto(updated->labels, event.mutable_labels());
  event.set_snapshot_key(updated->snapshot_key);
  PublishEvent(exchange_, ctx->ns, "/containers/update", event);
  return grpc::Status::OK;
}

grpc::Status ContainersService::Delete(grpc::ServerContext* sc, const api::DeleteContainerRequest* req,
                                       google::protobuf::Empty*) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  absl::Status deleted = store_->Delete(*ctx, req->id());
  if (!deleted.ok()) return ToGrpc(deleted);
  containerd::events::ContainerDelete event;
  event.set_id(req->id());
  PublishEvent(exchange_, ctx->ns, "/containers/delete", event);
  return grpc::Status::OK;
}

}  // namespace berth::services
