#include "services/gc_service.h"

#include "services/convert.h"

namespace berth::services {

namespace api = berth::services::gc::v1;

namespace {

void ToProto(const berth::gc::Stats& stats, api::CollectResponse* resp) {
  resp->set_dry_run(stats.dry_run);
  resp->set_summary(stats.Summary());
  for (const berth::gc::Removal& r : stats.removed) {
    api::Removal* out = resp->add_removed();
    out->set_type(std::string(berth::gc::TypeName(r.node.type)));
    out->set_namespace_(r.node.ns);
    out->set_key(r.node.key);
    out->set_on_disk(r.on_disk);
    out->set_reason(r.reason);
    out->set_bytes(r.bytes);
  }
}

}  // namespace

grpc::Status GcService::Collect(grpc::ServerContext*, const api::CollectRequest* req, api::CollectResponse* resp) {
  auto stats = collect_(req->dry_run(), {});
  if (!stats.ok()) return ToGrpc(stats.status());
  ToProto(*stats, resp);
  return grpc::Status::OK;
}

grpc::Status GcService::CollectWithProgress(grpc::ServerContext*, const api::CollectRequest* req,
                                            grpc::ServerWriter<api::CollectEvent>* writer) {
  auto progress = [writer](const berth::gc::Progress& p) {
    api::CollectEvent e;
    e.mutable_progress()->set_phase(p.phase);
    e.mutable_progress()->set_done(p.done);
    e.mutable_progress()->set_total(p.total);
    writer->Write(e);  // a client gone away only loses the progress; the collection goes on
  };
  auto stats = collect_(req->dry_run(), progress);
  if (!stats.ok()) return ToGrpc(stats.status());
  api::CollectEvent e;
  ToProto(*stats, e.mutable_result());
  writer->Write(e);
  return grpc::Status::OK;
}

}  // namespace berth::services
