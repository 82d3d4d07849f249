#include "services/doctor_service.h"

namespace berth::services {

namespace api = berth::services::doctor::v1;

grpc::Status DoctorService::Check(grpc::ServerContext*, const api::CheckRequest*, api::CheckResponse* resp) {
  std::lock_guard lock(run_);
  resp->set_root(options_.scope.root);
  resp->set_state(options_.scope.state);
  for (const ::berth::doctor::Finding& f : ::berth::doctor::RunChecks(options_)) {
    api::Finding* out = resp->add_findings();
    out->set_check(f.check);
    out->set_status(f.status == ::berth::doctor::Severity::kFail   ? api::FAIL
                    : f.status == ::berth::doctor::Severity::kWarn ? api::WARN
                                                                   : api::OK);
    out->set_what(f.what);
    out->set_detail(f.detail);
    out->set_fix(f.fix);
  }
  return grpc::Status::OK;
}

}  // namespace berth::services
