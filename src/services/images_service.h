// containerd.services.images.v1.Images over an images::Store.
#pragma once

#include <functional>

#include "core/images/images.h"
#include "events/exchange.h"
#include "github.com/containerd/containerd/api/services/images/v1/images.grpc.pb.h"

namespace berth::services {

class ImagesService final : public containerd::services::images::v1::Images::Service {
 public:
  // `collect` runs one garbage collection to its end; Delete calls it when the client asks for `sync`
  // (ctr images rm --sync). Without it, `sync` is ignored.
  explicit ImagesService(images::Store* store, std::function<absl::Status()> collect = {})
      : store_(store), collect_(std::move(collect)) {}

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

  // Where /images/* events go (containerd's topics); none are published until set.
  void set_events(events::Exchange* events) { events_ = events; }

 private:
  images::Store* store_;
  events::Exchange* events_ = nullptr;
  std::function<absl::Status()> collect_;
};

}  // namespace berth::services
