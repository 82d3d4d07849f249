// containerd.services.content.v1.Content over a content::Store (the namespaced metadata store in berthd).
#pragma once

#include "core/content/content.h"
#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"

namespace berth::services {

class ContentService final : public containerd::services::content::v1::Content::Service {
 public:
  explicit ContentService(content::Store* store) : store_(store) {}

  grpc::Status Info(grpc::ServerContext*, const containerd::services::content::v1::InfoRequest*,
                    containerd::services::content::v1::InfoResponse*) override;
  grpc::Status Update(grpc::ServerContext*, const containerd::services::content::v1::UpdateRequest*,
                      containerd::services::content::v1::UpdateResponse*) override;
  grpc::Status List(grpc::ServerContext*, const containerd::services::content::v1::ListContentRequest*,
                    grpc::ServerWriter<containerd::services::content::v1::ListContentResponse>*) override;
  grpc::Status Delete(grpc::ServerContext*, const containerd::services::content::v1::DeleteContentRequest*,
                      google::protobuf::Empty*) override;
  grpc::Status Read(grpc::ServerContext*, const containerd::services::content::v1::ReadContentRequest*,
                    grpc::ServerWriter<containerd::services::content::v1::ReadContentResponse>*) override;
  grpc::Status Status(grpc::ServerContext*, const containerd::services::content::v1::StatusRequest*,
                      containerd::services::content::v1::StatusResponse*) override;
  grpc::Status ListStatuses(grpc::ServerContext*, const containerd::services::content::v1::ListStatusesRequest*,
                            containerd::services::content::v1::ListStatusesResponse*) override;
  grpc::Status Write(grpc::ServerContext*,
                     grpc::ServerReaderWriter<containerd::services::content::v1::WriteContentResponse,
                                              containerd::services::content::v1::WriteContentRequest>*) override;
  grpc::Status Abort(grpc::ServerContext*, const containerd::services::content::v1::AbortRequest*,
                     google::protobuf::Empty*) override;

 private:
  content::Store* store_;
};

}  // namespace berth::services
