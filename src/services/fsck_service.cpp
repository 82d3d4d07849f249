#include "services/fsck_service.h"

#include "services/convert.h"

namespace berth::services {

namespace api = berth::services::fsck::v1;

grpc::Status FsckService::Check(grpc::ServerContext*, const api::CheckRequest* req,
                                grpc::ServerWriter<api::CheckEvent>* writer) {
  std::lock_guard lock(run_);
  ::berth::fsck::Sink sink{
      .progress =
          [writer](const ::berth::fsck::Progress& p) {
            api::CheckEvent e;
            e.mutable_progress()->set_phase(p.phase);
            e.mutable_progress()->set_done(p.done);
            e.mutable_progress()->set_total(p.total);
            writer->Write(e);  // a client gone away only loses the progress
          },
      .problem =
          [writer](const ::berth::fsck::Problem& p) {
            api::CheckEvent e;
            api::Problem* out = e.mutable_problem();
            out->set_object(p.object);
            out->set_namespace_(p.ns);
            out->set_path(p.path);
            out->set_what(p.what);
            out->set_repair(p.repair);
            for (const std::string& h : p.holders) out->add_holders(h);
            out->set_repaired(p.repaired);
            out->set_repair_error(p.repair_error);
            writer->Write(e);
          },
  };
  absl::StatusOr<::berth::fsck::Summary> summary =
      checker_->Run({.repair = req->repair(), .force = req->force(), .plain_http = req->plain_http()}, sink);
  if (!summary.ok()) return ToGrpc(summary.status());
  api::CheckEvent e;
  api::Summary* out = e.mutable_summary();
  out->set_blobs_checked(summary->blobs_checked);
  out->set_snapshots_checked(summary->snapshots_checked);
  out->set_problems(summary->problems);
  out->set_repaired(summary->repaired);
  out->set_remaining(summary->remaining);
  out->set_text(summary->text);
  writer->Write(e);
  return grpc::Status::OK;
}

}  // namespace berth::services
