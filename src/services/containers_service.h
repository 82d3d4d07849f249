// containers.v1.Containers over a containers::Store; publishes /containers/{create,update,delete}.
#pragma once

#include "core/containers/containers.h"
#include "events/exchange.h"
#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"

namespace berth::services {

class ContainersService final : public containerd::services::containers::v1::Containers::Service {
 public:
  ContainersService(containers::Store* store, events::Exchange* exchange) : store_(store), exchange_(exchange) {}

  grpc::Status Get(grpc::ServerContext*, const containerd::services::containers::v1::GetContainerRequest*,
                   containerd::services::containers::v1::GetContainerResponse*) override;
  grpc::Status List(grpc::ServerContext*, const containerd::services::containers::v1::ListContainersRequest*,
                    containerd::services::containers::v1::ListContainersResponse*) override;
  grpc::Status ListStream(grpc::ServerContext*, const containerd::services::containers::v1::ListContainersRequest*,
                          grpc::ServerWriter<containerd::services::containers::v1::ListContainerMessage>*) override;
  grpc::Status Create(grpc::ServerContext*, const containerd::services::containers::v1::CreateContainerRequest*,
                      containerd::services::containers::v1::CreateContainerResponse*) override;
  grpc::Status Update(grpc::ServerContext*, const containerd::services::containers::v1::UpdateContainerRequest*,
                      containerd::services::containers::v1::UpdateContainerResponse*) override;
  grpc::Status Delete(grpc::ServerContext*, const containerd::services::containers::v1::DeleteContainerRequest*,
                      google::protobuf::Empty*) override;

 private:
  containers::Store* store_;
  events::Exchange* exchange_;
};

}  // namespace berth::services
