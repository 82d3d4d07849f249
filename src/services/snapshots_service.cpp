#include "services/snapshots_service.h"

#include "base/status.h"
#include "fmt/format.h"
#include "github.com/containerd/containerd/api/events/snapshot.pb.h"
#include "services/convert.h"
#include "services/publish.h"

namespace berth::services {

namespace api = containerd::services::snapshots::v1;

namespace {

constexpr int kListBatch = 100;  // infos per List message, as containerd

void ToProto(const std::vector<mount::Mount>& mounts,
             google::protobuf::RepeatedPtrField<containerd::types::Mount>* out) {
  for (const mount::Mount& m : mounts) {
    containerd::types::Mount* pm = out->Add();
    pm->set_type(m.type);
    pm->set_source(m.source);
    for (const std::string& option : m.options) pm->add_options(option);
  }
}

api::Kind ToProto(snapshots::Kind kind) {
  switch (kind) {
    case snapshots::Kind::kView:
      return api::VIEW;
    case snapshots::Kind::kActive:
      return api::ACTIVE;
    case snapshots::Kind::kCommitted:
      return api::COMMITTED;
    default:
      return api::UNKNOWN;
  }
}

void ToProto(const snapshots::Info& info, api::Info* out) {
  out->set_name(info.name);
  out->set_parent(info.parent);
  out->set_kind(ToProto(info.kind));
  services::ToProto(info.created_at, out->mutable_created_at());
  services::ToProto(info.updated_at, out->mutable_updated_at());
  services::ToProto(info.labels, out->mutable_labels());
}

}  // namespace

absl::StatusOr<SnapshotsService::Call> SnapshotsService::Begin(
    const grpc::ServerContext& sc, const std::string& snapshotter) const {
  auto it = snapshotters_.find(snapshotter);
  if (snapshotter.empty()) {
    return absl::InvalidArgumentError("snapshotter argument missing: invalid argument");
  }
  if (it == snapshotters_.end()) {
    return absl::InvalidArgumentError(
        fmt::format("snapshotter not loaded: {}: invalid argument", snapshotter));
  }
  ASSIGN_OR_RETURN(Context ctx, NamespacedContextFrom(sc));
  return Call{.ctx = std::move(ctx), .sn = it->second};
}

grpc::Status SnapshotsService::Prepare(grpc::ServerContext* sc,
                                       const api::PrepareSnapshotRequest* req,
                                       api::PrepareSnapshotResponse* resp) {
  auto call = Begin(*sc, req->snapshotter());
  if (!call.ok()) return ToGrpc(call.status());
  auto mounts =
      call->sn->Prepare(call->ctx, req->key(), req->parent(), {.labels = FromProto(req->labels())});
  if (!mounts.ok()) return ToGrpc(mounts.status());
  ToProto(*mounts, resp->mutable_mounts());
  containerd::events::SnapshotPrepare event;
  event.set_key(req->key());
  event.set_parent(req->parent());
  PublishEvent(events_, call->ctx.ns, "/snapshot/prepare", event);
  return grpc::Status::OK;
}

grpc::Status SnapshotsService::View(grpc::ServerContext* sc, const api::ViewSnapshotRequest* req,
                                    api::ViewSnapshotResponse* resp) {
  auto call = Begin(*sc, req->snapshotter());
  if (!call.ok()) return ToGrpc(call.status());
  auto mounts =
      call->sn->View(call->ctx, req->key(), req->parent(), {.labels = FromProto(req->labels())});
  if (!mounts.ok()) return ToGrpc(mounts.status());
  ToProto(*mounts, resp->mutable_mounts());
  return grpc::Status::OK;
}

grpc::Status SnapshotsService::Mounts(grpc::ServerContext* sc, const api::MountsRequest* req,
                                      api::MountsResponse* resp) {
  auto call = Begin(*sc, req->snapshotter());
  if (!call.ok()) return ToGrpc(call.status());
  auto mounts = call->sn->Mounts(call->ctx, req->key());
  if (!mounts.ok()) return ToGrpc(mounts.status());
  ToProto(*mounts, resp->mutable_mounts());
  return grpc::Status::OK;
}

grpc::Status SnapshotsService::Commit(grpc::ServerContext* sc,
                                      const api::CommitSnapshotRequest* req,
                                      google::protobuf::Empty*) {
  auto call = Begin(*sc, req->snapshotter());
  if (!call.ok()) return ToGrpc(call.status());
  absl::Status committed =
      call->sn->Commit(call->ctx, req->name(), req->key(), {.labels = FromProto(req->labels())});
  if (!committed.ok()) return ToGrpc(committed);
  containerd::events::SnapshotCommit event;
  event.set_key(req->key());
  event.set_name(req->name());
  PublishEvent(events_, call->ctx.ns, "/snapshot/commit", event);
  return grpc::Status::OK;
}

grpc::Status SnapshotsService::Remove(grpc::ServerContext* sc,
                                      const api::RemoveSnapshotRequest* req,
                                      google::protobuf::Empty*) {
  auto call = Begin(*sc, req->snapshotter());
  if (!call.ok()) return ToGrpc(call.status());
  absl::Status removed = call->sn->Remove(call->ctx, req->key());
  if (!removed.ok()) return ToGrpc(removed);
  containerd::events::SnapshotRemove event;
  event.set_key(req->key());
  PublishEvent(events_, call->ctx.ns, "/snapshot/remove", event);
  return grpc::Status::OK;
}

grpc::Status SnapshotsService::Stat(grpc::ServerContext* sc, const api::StatSnapshotRequest* req,
                                    api::StatSnapshotResponse* resp) {
  auto call = Begin(*sc, req->snapshotter());
  if (!call.ok()) return ToGrpc(call.status());
  auto info = call->sn->Stat(call->ctx, req->key());
  if (!info.ok()) return ToGrpc(info.status());
  ToProto(*info, resp->mutable_info());
  return grpc::Status::OK;
}

grpc::Status SnapshotsService::Update(grpc::ServerContext* sc,
                                      const api::UpdateSnapshotRequest* req,
                                      api::UpdateSnapshotResponse* resp) {
  auto call = Begin(*sc, req->snapshotter());
  if (!call.ok()) return ToGrpc(call.status());
  // Kind, parent and times are the server's; only the name and labels of the request matter.
  snapshots::Info info{.name = req->info().name(), .labels = FromProto(req->info().labels())};
  auto updated = call->sn->Update(call->ctx, info, FromProto(req->update_mask()));
  if (!updated.ok()) return ToGrpc(updated.status());
  ToProto(*updated, resp->mutable_info());
  return grpc::Status::OK;
}

grpc::Status SnapshotsService::List(grpc::ServerContext* sc, const api::ListSnapshotsRequest* req,
                                    grpc::ServerWriter<api::ListSnapshotsResponse>* writer) {
  auto call = Begin(*sc, req->snapshotter());
  if (!call.ok()) return ToGrpc(call.status());
  api::ListSnapshotsResponse batch;
  auto flush = [&]() -> absl::Status {
    if (batch.info_size() == 0) return absl::OkStatus();
    if (!writer->Write(batch)) return absl::CancelledError("client went away during snapshot list");
    batch.Clear();
    return absl::OkStatus();
  };
  absl::Status s =
      call->sn->Walk(call->ctx, FromProto(req->filters()), [&](const snapshots::Info& info) {
        ToProto(info, batch.add_info());
        return batch.info_size() >= kListBatch ? flush() : absl::OkStatus();
      });
  if (s.ok()) s = flush();
  return ToGrpc(s);
}

grpc::Status SnapshotsService::Usage(grpc::ServerContext* sc, const api::UsageRequest* req,
                                     api::UsageResponse* resp) {
  auto call = Begin(*sc, req->snapshotter());
  if (!call.ok()) return ToGrpc(call.status());
  auto usage = call->sn->GetUsage(call->ctx, req->key());
  if (!usage.ok()) return ToGrpc(usage.status());
  resp->set_size(usage->size);
  resp->set_inodes(usage->inodes);
  return grpc::Status::OK;
}

grpc::Status SnapshotsService::Cleanup(grpc::ServerContext* sc, const api::CleanupRequest* req,
                                       google::protobuf::Empty*) {
  auto call = Begin(*sc, req->snapshotter());
  if (!call.ok()) return ToGrpc(call.status());
  return ToGrpc(call->sn->Cleanup(call->ctx));
}

}  // namespace berth::services
