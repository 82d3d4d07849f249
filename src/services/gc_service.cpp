#include "services/gc_service.h"

#include "services/convert.h"

namespace berth::services {

namespace api = berth::services::gc::v1;

grpc::Status GcService::Collect(grpc::ServerContext*, const api::CollectRequest* req, api::CollectResponse* resp) {
  auto stats = collect_(req->dry_run());
  if (!stats.ok()) return ToGrpc(stats.status());
  resp->set_dry_run(stats->dry_run);
  resp->set_summary(stats->Summary());
  for (const berth::gc::Removal& r : stats->removed) {
    api::Removal* out = resp->add_removed();
    out->set_type(std::string(berth::gc::TypeName(r.node.type)));
    out->set_namespace_(r.node.ns);
    out->set_key(r.node.key);
    out->set_on_disk(r.on_disk);
    out->set_reason(r.reason);
    out->set_bytes(r.bytes);
  }
  return grpc::Status::OK;
}

}  // namespace berth::services
