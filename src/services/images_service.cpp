#include "services/images_service.h"

#include "github.com/containerd/containerd/api/events/image.pb.h"
#include "services/convert.h"
#include "services/publish.h"

namespace berth::services {

namespace api = containerd::services::images::v1;

namespace {
void ToProto(const images::Image& image, api::Image* out) {
  out->set_name(image.name);
  services::ToProto(image.labels, out->mutable_labels());
  services::ToProto(image.target, out->mutable_target());
  services::ToProto(image.created_at, out->mutable_created_at());
  services::ToProto(image.updated_at, out->mutable_updated_at());
}

absl::StatusOr<images::Image> FromProto(const api::Image& image) {
  images::Image out{.name = image.name(), .labels = services::FromProto(image.labels())};
  auto target = services::FromProto(image.target());
  if (!target.ok()) return target.status();
  out.target = *std::move(target);
  out.created_at = services::FromProto(image.created_at());
  out.updated_at = services::FromProto(image.updated_at());
  return out;
}
}  // namespace

grpc::Status ImagesService::Get(grpc::ServerContext* sc, const api::GetImageRequest* req,
                                api::GetImageResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto image = store_->Get(*ctx, req->name());
  if (!image.ok()) return ToGrpc(image.status());
  ToProto(*image, resp->mutable_image());
  return grpc::Status::OK;
}

grpc::Status ImagesService::List(grpc::ServerContext* sc, const api::ListImagesRequest* req,
                                 api::ListImagesResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto list = store_->List(*ctx, services::FromProto(req->filters()));
  if (!list.ok()) return ToGrpc(list.status());
  for (const images::Image& image : *list) ToProto(image, resp->add_images());
  return grpc::Status::OK;
}

grpc::Status ImagesService::Create(grpc::ServerContext* sc, const api::CreateImageRequest* req,
                                   api::CreateImageResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto image = FromProto(req->image());
  if (!image.ok()) return ToGrpc(image.status());
  auto created = store_->Create(*ctx, *image);
  if (!created.ok()) return ToGrpc(created.status());
  ToProto(*created, resp->mutable_image());
  api::ImageCreate event;
  event.set_name(created->name);
  *event.mutable_labels() = resp->image().labels();
  PublishEvent(events_, ctx->ns, "/images/create", event);
  return grpc::Status::OK;
}

grpc::Status ImagesService::Update(grpc::ServerContext* sc, const api::UpdateImageRequest* req,
                                   api::UpdateImageResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto image = FromProto(req->image());
  if (!image.ok()) return ToGrpc(image.status());
  auto updated = store_->Update(*ctx, *image, services::FromProto(req->update_mask()));
  if (!updated.ok()) return ToGrpc(updated.status());
  ToProto(*updated, resp->mutable_image());
  api::ImageUpdate event;
  event.set_name(updated->name);
  *event.mutable_labels() = resp->image().labels();
  PublishEvent(events_, ctx->ns, "/images/update", event);
  return grpc::Status::OK;
}

grpc::Status ImagesService::Delete(grpc::ServerContext* sc, const api::DeleteImageRequest* req,
                                   google::protobuf::Empty*) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  absl::Status deleted = store_->Delete(*ctx, req->name());
  if (deleted.ok()) {
    api::ImageDelete event;
    event.set_name(req->name());
    PublishEvent(events_, ctx->ns, "/images/delete", event);
  }
  if (!deleted.ok() || !req->sync() || !collect_) return ToGrpc(deleted);
  return ToGrpc(collect_());
}

}  // namespace berth::services
