#include "services/df_service.h"

#include "services/convert.h"

namespace berth::services {

namespace api = berth::services::df::v1;

grpc::Status DfService::Usage(grpc::ServerContext*, const api::UsageRequest*, api::UsageResponse* resp) {
  absl::StatusOr<::berth::df::Report> report = analyzer_->Analyze();
  if (!report.ok()) return ToGrpc(report.status());
  resp->set_root(report->root);
  resp->set_total_bytes(report->total_bytes);
  resp->set_reclaimable_bytes(report->reclaimable_bytes);
  for (const ::berth::df::Entry& e : report->entries) {
    api::Entry* out = resp->add_entries();
    out->set_category(e.category);
    out->set_kind(e.kind);
    out->set_namespace_(e.ns);
    out->set_key(e.key);
    for (const std::string& h : e.holders) out->add_holders(h);
    out->set_path(e.path);
    out->set_bytes(e.bytes);
    out->set_reclaimable(e.reclaimable);
    out->set_note(e.note);
  }
  return grpc::Status::OK;
}

}  // namespace berth::services
