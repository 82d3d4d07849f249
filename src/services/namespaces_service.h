// containerd.services.namespaces.v1.Namespaces over a namespaces::Store.
#pragma once

#include "core/namespaces/namespaces.h"
#include "events/exchange.h"
#include "github.com/containerd/containerd/api/services/namespaces/v1/namespace.grpc.pb.h"

namespace berth::services {

class NamespacesService final : public containerd::services::namespaces::v1::Namespaces::Service {
 public:
  explicit NamespacesService(namespaces::Store* store) : store_(store) {}

  grpc::Status Get(grpc::ServerContext*, const containerd::services::namespaces::v1::GetNamespaceRequest*,
                   containerd::services::namespaces::v1::GetNamespaceResponse*) override;
  grpc::Status List(grpc::ServerContext*, const containerd::services::namespaces::v1::ListNamespacesRequest*,
                    containerd::services::namespaces::v1::ListNamespacesResponse*) override;
  grpc::Status Create(grpc::ServerContext*, const containerd::services::namespaces::v1::CreateNamespaceRequest*,
                      containerd::services::namespaces::v1::CreateNamespaceResponse*) override;
  grpc::Status Update(grpc::ServerContext*, const containerd::services::namespaces::v1::UpdateNamespaceRequest*,
                      containerd::services::namespaces::v1::UpdateNamespaceResponse*) override;
  grpc::Status Delete(grpc::ServerContext*, const containerd::services::namespaces::v1::DeleteNamespaceRequest*,
                      google::protobuf::Empty*) override;

  // Where /namespaces/* events go (containerd's topics); none are published until set.
  void set_events(events::Exchange* events) { events_ = events; }

 private:
  namespaces::Store* store_;
  events::Exchange* events_ = nullptr;
};

}  // namespace berth::services
