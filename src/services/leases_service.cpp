#include "services/leases_service.h"

#include "services/convert.h"

namespace berth::services {

namespace api = containerd::services::leases::v1;

namespace {
void ToProto(const leases::Lease& lease, api::Lease* out) {
  out->set_id(lease.id);
  services::ToProto(lease.created_at, out->mutable_created_at());
  services::ToProto(lease.labels, out->mutable_labels());
}
}  // namespace

grpc::Status LeasesService::Create(grpc::ServerContext* sc, const api::CreateRequest* req,
                                   api::CreateResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto lease = manager_->Create(*ctx, {.id = req->id(), .labels = FromProto(req->labels())});
  if (!lease.ok()) return ToGrpc(lease.status());
  ToProto(*lease, resp->mutable_lease());
  return grpc::Status::OK;
}

grpc::Status LeasesService::Delete(grpc::ServerContext* sc, const api::DeleteRequest* req,
                                   google::protobuf::Empty*) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  absl::Status deleted = manager_->Delete(*ctx, req->id());
  if (!deleted.ok() || !req->sync() || !collect_) return ToGrpc(deleted);
  return ToGrpc(collect_());
}

grpc::Status LeasesService::List(grpc::ServerContext* sc, const api::ListRequest* req, api::ListResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto list = manager_->List(*ctx, FromProto(req->filters()));
  if (!list.ok()) return ToGrpc(list.status());
  for (const leases::Lease& lease : *list) ToProto(lease, resp->add_leases());
  return grpc::Status::OK;
}

grpc::Status LeasesService::AddResource(grpc::ServerContext* sc, const api::AddResourceRequest* req,
                                        google::protobuf::Empty*) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  return ToGrpc(manager_->AddResource(*ctx, req->id(),
                                      {.id = req->resource().id(), .type = req->resource().type()}));
}

grpc::Status LeasesService::DeleteResource(grpc::ServerContext* sc, const api::DeleteResourceRequest* req,
                                           google::protobuf::Empty*) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  return ToGrpc(manager_->DeleteResource(*ctx, req->id(),
                                         {.id = req->resource().id(), .type = req->resource().type()}));
}

grpc::Status LeasesService::ListResources(grpc::ServerContext* sc, const api::ListResourcesRequest* req,
                                          api::ListResourcesResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto list = manager_->ListResources(*ctx, req->id());
  if (!list.ok()) return ToGrpc(list.status());
  for (const leases::Resource& r : *list) {
    api::Resource* out = resp->add_resources();
    out->set_id(r.id);
    out->set_type(r.type);
  }
  return grpc::Status::OK;
}

}  // namespace berth::services
