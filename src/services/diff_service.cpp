#include "services/diff_service.h"

#include <vector>

#include "github.com/containerd/containerd/api/types/mount.pb.h"
#include "services/convert.h"

namespace berth::services {

namespace api = containerd::services::diff::v1;

namespace {

std::vector<mount::Mount> FromProto(const google::protobuf::RepeatedPtrField<containerd::types::Mount>& in) {
  std::vector<mount::Mount> out;
  out.reserve(in.size());
  for (const auto& m : in) {
    out.push_back({.type = m.type(), .source = m.source(), .options = {m.options().begin(), m.options().end()}});
  }
  return out;
}

}  // namespace

grpc::Status DiffService::Apply(grpc::ServerContext* sc, const api::ApplyRequest* req, api::ApplyResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  // Stream processor payloads (containerd's encrypted-layer hook) have no processor here; they are ignored, as
  // containerd ignores payloads no processor asks for.
  auto layer = services::FromProto(req->diff());
  if (!layer.ok()) return ToGrpc(layer.status());
  auto applied = applier_->Apply(*ctx, *layer, FromProto(req->mounts()));
  if (!applied.ok()) return ToGrpc(applied.status());
  ToProto(*applied, resp->mutable_applied());
  return grpc::Status::OK;
}

grpc::Status DiffService::Diff(grpc::ServerContext* sc, const api::DiffRequest* req, api::DiffResponse* resp) {
  if (comparer_ == nullptr) return ToGrpc(absl::UnimplementedError("diff: no comparer configured"));
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  diff::DiffOptions opts{.media_type = req->media_type(), .ref = req->ref(), .labels = services::FromProto(req->labels())};
  auto created = comparer_->Compare(*ctx, FromProto(req->left()), FromProto(req->right()), opts);
  if (!created.ok()) return ToGrpc(created.status());
  ToProto(*created, resp->mutable_diff());
  return grpc::Status::OK;
}

}  // namespace berth::services
