// berth.services.pull.v1.Pull: server-side pull for `berth pull` (berth's own service; containerd 1.6 has none).
#pragma once

#include "berth/services/pull/v1/pull.grpc.pb.h"
#include "plugins/transfer/puller.h"

namespace berth::services {

class PullService final : public berth::services::pull::v1::Pull::Service {
 public:
  // `puller` is not owned.
  explicit PullService(transfer::Puller* puller) : puller_(puller) {}

  grpc::Status Pull(grpc::ServerContext* sc, const berth::services::pull::v1::PullRequest* req,
                    grpc::ServerWriter<berth::services::pull::v1::PullProgress>* writer) override;

 private:
  transfer::Puller* puller_;
};

}  // namespace berth::services
