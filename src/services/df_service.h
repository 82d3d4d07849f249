// berth.services.df.v1.Df: disk accounting for `berth df` (berth's own service).
#pragma once

#include "berth/services/df/v1/df.grpc.pb.h"
#include "df/analyzer.h"

namespace berth::services {

class DfService final : public berth::services::df::v1::Df::Service {
 public:
  explicit DfService(const ::berth::df::Analyzer* analyzer) : analyzer_(analyzer) {}

  grpc::Status Usage(grpc::ServerContext*, const berth::services::df::v1::UsageRequest* req,
                     berth::services::df::v1::UsageResponse* resp) override;

 private:
  const ::berth::df::Analyzer* analyzer_;
};

}  // namespace berth::services
