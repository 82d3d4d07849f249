// berth.services.doctor.v1.Doctor: host checks for `berth doctor` (berth's own service).
#pragma once

#include <mutex>

#include "berth/services/doctor/v1/doctor.grpc.pb.h"
#include "doctor/doctor.h"

namespace berth::services {

class DoctorService final : public berth::services::doctor::v1::Doctor::Service {
 public:
  explicit DoctorService(::berth::doctor::DoctorOptions options) : options_(std::move(options)) {}

  grpc::Status Check(grpc::ServerContext*, const berth::services::doctor::v1::CheckRequest* req,
                     berth::services::doctor::v1::CheckResponse* resp) override;

 private:
  const ::berth::doctor::DoctorOptions options_;
  std::mutex run_;  // one run at a time: each makes a probe mount
};

}  // namespace berth::services
