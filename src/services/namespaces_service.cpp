#include "services/namespaces_service.h"

#include "github.com/containerd/containerd/api/events/namespace.pb.h"
#include "services/convert.h"
#include "services/publish.h"

namespace berth::services {

namespace api = containerd::services::namespaces::v1;

namespace {
void ToProto(const namespaces::Namespace& ns, api::Namespace* out) {
  out->set_name(ns.name);
  services::ToProto(ns.labels, out->mutable_labels());
}
namespaces::Namespace FromProto(const api::Namespace& ns) {
  return {.name = ns.name(), .labels = services::FromProto(ns.labels())};
}
}  // namespace

grpc::Status NamespacesService::Get(grpc::ServerContext*, const api::GetNamespaceRequest* req,
                                    api::GetNamespaceResponse* resp) {
  auto ns = store_->Get(req->name());
  if (!ns.ok()) return ToGrpc(ns.status());
  ToProto(*ns, resp->mutable_namespace_());
  return grpc::Status::OK;
}

grpc::Status NamespacesService::List(grpc::ServerContext*, const api::ListNamespacesRequest*,
                                     api::ListNamespacesResponse* resp) {
  auto names = store_->List();
  if (!names.ok()) return ToGrpc(names.status());
  for (const std::string& name : *names) {
    auto ns = store_->Get(name);
    if (ns.ok()) ToProto(*ns, resp->add_namespaces());  // a namespace deleted meanwhile is simply not listed
  }
  return grpc::Status::OK;
}

grpc::Status NamespacesService::Create(grpc::ServerContext* sc, const api::CreateNamespaceRequest* req,
                                       api::CreateNamespaceResponse* resp) {
  namespaces::Namespace ns = FromProto(req->namespace_());
  if (absl::Status s = store_->Create(ns); !s.ok()) return ToGrpc(s);
  ToProto(ns, resp->mutable_namespace_());
  containerd::events::NamespaceCreate event;
  event.set_name(ns.name);
  *event.mutable_labels() = resp->namespace_().labels();
  PublishEvent(events_, ContextFrom(*sc).ns, "/namespaces/create", event);
  return grpc::Status::OK;
}

grpc::Status NamespacesService::Update(grpc::ServerContext* sc, const api::UpdateNamespaceRequest* req,
                                       api::UpdateNamespaceResponse* resp) {
  auto ns = store_->Update(FromProto(req->namespace_()), services::FromProto(req->update_mask()));
  if (!ns.ok()) return ToGrpc(ns.status());
  ToProto(*ns, resp->mutable_namespace_());
  containerd::events::NamespaceUpdate event;
  event.set_name(ns->name);
  *event.mutable_labels() = resp->namespace_().labels();
  PublishEvent(events_, ContextFrom(*sc).ns, "/namespaces/update", event);
  return grpc::Status::OK;
}

grpc::Status NamespacesService::Delete(grpc::ServerContext* sc, const api::DeleteNamespaceRequest* req,
                                       google::protobuf::Empty*) {
  if (absl::Status s = store_->Delete(req->name()); !s.ok()) return ToGrpc(s);
  containerd::events::NamespaceDelete event;
  event.set_name(req->name());
  PublishEvent(events_, ContextFrom(*sc).ns, "/namespaces/delete", event);
  return grpc::Status::OK;
}

}  // namespace berth::services
