#include "services/content_service.h"

#include <vector>

#include "fmt/format.h"
#include "services/convert.h"

namespace berth::services {

namespace api = containerd::services::content::v1;

namespace {

constexpr int kListBatch = 100;              // infos per List message, as containerd
constexpr size_t kReadChunk = 1 << 20;       // bytes per Read message

void ToProto(const content::Info& info, api::Info* out) {
  out->set_digest(info.digest.str());
  out->set_size(info.size);
  services::ToProto(info.created_at, out->mutable_created_at());
  services::ToProto(info.updated_at, out->mutable_updated_at());
  services::ToProto(info.labels, out->mutable_labels());
}

void ToProto(const content::Status& st, api::Status* out) {
  out->set_ref(st.ref);
  out->set_offset(st.offset);
  out->set_total(st.total);
  if (st.expected) out->set_expected(st.expected->str());
  services::ToProto(st.started_at, out->mutable_started_at());
  services::ToProto(st.updated_at, out->mutable_updated_at());
}

absl::Status DigestArgument(const std::string& s, Digest* out) {
  auto d = Digest::Parse(s);
  if (!d.ok()) return d.status();
  *out = *d;
  return absl::OkStatus();
}

}  // namespace

grpc::Status ContentService::Info(grpc::ServerContext* sc, const api::InfoRequest* req, api::InfoResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  Digest digest;
  if (absl::Status s = DigestArgument(req->digest(), &digest); !s.ok()) return ToGrpc(s);
  auto info = store_->GetInfo(*ctx, digest);
  if (!info.ok()) return ToGrpc(info.status());
  ToProto(*info, resp->mutable_info());
  return grpc::Status::OK;
}

grpc::Status ContentService::Update(grpc::ServerContext* sc, const api::UpdateRequest* req,
                                    api::UpdateResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  content::Info info{.labels = services::FromProto(req->info().labels())};
  if (absl::Status s = DigestArgument(req->info().digest(), &info.digest); !s.ok()) return ToGrpc(s);
  auto updated = store_->Update(*ctx, info, services::FromProto(req->update_mask()));
  if (!updated.ok()) return ToGrpc(updated.status());
  ToProto(*updated, resp->mutable_info());
  return grpc::Status::OK;
}

grpc::Status ContentService::List(grpc::ServerContext* sc, const api::ListContentRequest* req,
                                  grpc::ServerWriter<api::ListContentResponse>* writer) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  api::ListContentResponse batch;
  auto flush = [&]() -> absl::Status {
    if (batch.info_size() == 0) return absl::OkStatus();
    if (!writer->Write(batch)) return absl::CancelledError("client went away during content list");
    batch.Clear();
    return absl::OkStatus();
  };
  absl::Status s = store_->Walk(*ctx, services::FromProto(req->filters()), [&](const content::Info& info) {
    ToProto(info, batch.add_info());
    return batch.info_size() >= kListBatch ? flush() : absl::OkStatus();
  });
  if (s.ok()) s = flush();
  return ToGrpc(s);
}

grpc::Status ContentService::Delete(grpc::ServerContext* sc, const api::DeleteContentRequest* req,
                                    google::protobuf::Empty*) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  Digest digest;
  if (absl::Status s = DigestArgument(req->digest(), &digest); !s.ok()) return ToGrpc(s);
  return ToGrpc(store_->Delete(*ctx, digest));
}

grpc::Status ContentService::Read(grpc::ServerContext* sc, const api::ReadContentRequest* req,
                                  grpc::ServerWriter<api::ReadContentResponse>* writer) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  Digest digest;
  if (absl::Status s = DigestArgument(req->digest(), &digest); !s.ok()) return ToGrpc(s);
  auto reader = store_->OpenReader(*ctx, digest);
  if (!reader.ok()) return ToGrpc(reader.status());
  const int64_t blob_size = (*reader)->Size();
  int64_t offset = std::max<int64_t>(req->offset(), 0);
  if (offset > blob_size) {
    return ToGrpc(absl::OutOfRangeError(
        fmt::format("read of {} past object length {} bytes", digest.str(), blob_size)));
  }
  // size is how much to read, not the blob's size; offset+size may run past the end.
  int64_t size = req->size();
  if (size <= 0 || offset + size > blob_size) size = blob_size - offset;
  const int64_t end = offset + size;

  std::string buf;
  buf.resize(std::min<int64_t>(size, kReadChunk));
  api::ReadContentResponse msg;
  while (offset < end) {
    size_t want = std::min<int64_t>(buf.size(), end - offset);
    auto n = (*reader)->ReadAt(offset, std::span<char>(buf.data(), want));
    if (!n.ok()) return ToGrpc(n.status());
    if (*n == 0) {
      return ToGrpc(absl::DataLossError(fmt::format("content {} ended at {} of {} bytes", digest.str(),
                                                    offset, blob_size)));
    }
    msg.set_offset(offset);
    msg.set_data(buf.data(), *n);
    if (!writer->Write(msg)) return grpc::Status::OK;  // the client cancelled: normal for ctr
    offset += static_cast<int64_t>(*n);
  }
  return grpc::Status::OK;
}

grpc::Status ContentService::Status(grpc::ServerContext* sc, const api::StatusRequest* req,
                                    api::StatusResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto st = store_->GetStatus(*ctx, req->ref());
  if (!st.ok()) return ToGrpc(st.status());
  ToProto(*st, resp->mutable_status());
  return grpc::Status::OK;
}

grpc::Status ContentService::ListStatuses(grpc::ServerContext* sc, const api::ListStatusesRequest* req,
                                          api::ListStatusesResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto list = store_->ListStatuses(*ctx, services::FromProto(req->filters()));
  if (!list.ok()) return ToGrpc(list.status());
  for (const content::Status& st : *list) ToProto(st, resp->add_statuses());
  return grpc::Status::OK;
}

grpc::Status ContentService::Abort(grpc::ServerContext* sc, const api::AbortRequest* req,
                                   google::protobuf::Empty*) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  return ToGrpc(store_->Abort(*ctx, req->ref()));
}

}  // namespace berth::services
