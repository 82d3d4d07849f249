// containerd.services.images.v1.Images over an images::Store.
#pragma once

#include "core/images/images.h"
#include "github.com/containerd/containerd/api/services/images/v1/images.grpc.pb.h"

namespace berth::services {

class ImagesService final : public containerd::services::images::v1::Images::Service {
 public:
  explicit ImagesService(images::Store* store) : store_(store) {}

  grpc::Status Get(grpc::ServerContext*, const containerd::services::images::v1::GetImageRequest*,
                   containerd::services::images::v1::GetImageResponse*) override;
  grpc::Status List(grpc::ServerContext*, const containerd::services::images::v1::ListImagesRequest*,
                    containerd::services::images::v1::ListImagesResponse*) override;
  grpc::Status Create(grpc::ServerContext*, const containerd::services::images::v1::CreateImageRequest*,
                      containerd::services::images::v1::CreateImageResponse*) override;
  grpc::Status Update(grpc::ServerContext*, const containerd::services::images::v1::UpdateImageRequest*,
                      containerd::services::images::v1::UpdateImageResponse*) override;
  grpc::Status Delete(grpc::ServerContext*, const containerd::services::images::v1::DeleteImageRequest*,
                      google::protobuf::Empty*) override;

 private:
  images::Store* store_;
};

}  // namespace berth::services
