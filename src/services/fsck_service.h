// berth.services.fsck.v1.Fsck: verification and repair for `berth fsck` (berth's own service). One run at a
// time: a second Check waits for the first (two repairs must not race over the same objects).
#pragma once

#include <mutex>

#include "berth/services/fsck/v1/fsck.grpc.pb.h"
#include "fsck/checker.h"

namespace berth::services {

class FsckService final : public berth::services::fsck::v1::Fsck::Service {
 public:
  explicit FsckService(const ::berth::fsck::Checker* checker) : checker_(checker) {}

  grpc::Status Check(grpc::ServerContext* ctx, const berth::services::fsck::v1::CheckRequest* req,
                     grpc::ServerWriter<berth::services::fsck::v1::CheckEvent>* writer) override;

 private:
  const ::berth::fsck::Checker* checker_;
  std::mutex run_;
};

}  // namespace berth::services
