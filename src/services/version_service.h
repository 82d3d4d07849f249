// containerd.services.version.v1.Version: the daemon's version and revision.
#pragma once

#include "github.com/containerd/containerd/api/services/version/v1/version.grpc.pb.h"

namespace berth::services {

class VersionService final : public containerd::services::version::v1::Version::Service {
 public:
  VersionService(std::string version, std::string revision)
      : version_(std::move(version)), revision_(std::move(revision)) {}

  grpc::Status Version(grpc::ServerContext*, const google::protobuf::Empty*,
                       containerd::services::version::v1::VersionResponse* resp) override {
    resp->set_version(version_);
    resp->set_revision(revision_);
    return grpc::Status::OK;
  }

 private:
  std::string version_;
  std::string revision_;
};

}  // namespace berth::services
