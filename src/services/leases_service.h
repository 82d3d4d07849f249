// containerd.services.leases.v1.Leases over a leases::Manager.
#pragma once

#include <functional>

#include "core/leases/leases.h"
#include "github.com/containerd/containerd/api/services/leases/v1/leases.grpc.pb.h"

namespace berth::services {

class LeasesService final : public containerd::services::leases::v1::Leases::Service {
 public:
  // `collect` runs one garbage collection to its end; Delete calls it when the client asks for `sync`.
  // Without it, `sync` is ignored.
  explicit LeasesService(leases::Manager* manager, std::function<absl::Status()> collect = {})
      : manager_(manager), collect_(std::move(collect)) {}

  grpc::Status Create(grpc::ServerContext*, const containerd::services::leases::v1::CreateRequest*,
                      containerd::services::leases::v1::CreateResponse*) override;
  grpc::Status Delete(grpc::ServerContext*, const containerd::services::leases::v1::DeleteRequest*,
                      google::protobuf::Empty*) override;
  grpc::Status List(grpc::ServerContext*, const containerd::services::leases::v1::ListRequest*,
                    containerd::services::leases::v1::ListResponse*) override;
  grpc::Status AddResource(grpc::ServerContext*, const containerd::services::leases::v1::AddResourceRequest*,
                           google::protobuf::Empty*) override;
  grpc::Status DeleteResource(grpc::ServerContext*,
                              const containerd::services::leases::v1::DeleteResourceRequest*,
                              google::protobuf::Empty*) override;
  grpc::Status ListResources(grpc::ServerContext*, const containerd::services::leases::v1::ListResourcesRequest*,
                             containerd::services::leases::v1::ListResourcesResponse*) override;

 private:
  leases::Manager* manager_;
  std::function<absl::Status()> collect_;
};

}  // namespace berth::services
