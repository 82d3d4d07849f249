// content.v1.Content/Write: one bidirectional stream drives one ingest (STAT, WRITE..., COMMIT), answering every
// request, as containerd's content server does (services/content/contentserver in containerd).
#include "base/status.h"
#include "fmt/format.h"
#include "services/content_service.h"
#include "services/convert.h"

namespace berth::services {

namespace api = containerd::services::content::v1;

namespace {

// Fills the reply fields every action carries.
void FillStatus(const content::Writer& writer, int64_t total, api::WriteContentResponse* msg) {
  content::Status st = writer.GetStatus();
  msg->set_offset(st.offset);
  msg->set_total(total);
  msg->set_digest(writer.RunningDigest().str());
  ToProto(st.started_at, msg->mutable_started_at());
  ToProto(st.updated_at, msg->mutable_updated_at());
}

}  // namespace

grpc::Status ContentService::Write(
    grpc::ServerContext* sc, grpc::ServerReaderWriter<api::WriteContentResponse, api::WriteContentRequest>* stream) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());

  api::WriteContentRequest req;
  if (!stream->Read(&req)) return grpc::Status::OK;  // the client left before saying anything
  const std::string ref = req.ref();
  if (ref.empty()) return ToGrpc(absl::InvalidArgumentError("first message must have a reference"));

  int64_t total = req.total();
  std::optional<Digest> expected;
  if (!req.expected().empty()) {
    auto d = Digest::Parse(req.expected());
    if (!d.ok()) return ToGrpc(d.status());
    expected = *d;
  }
  auto opened = store_->OpenWriter(*ctx, {.ref = ref, .total = total, .expected = expected});
  if (!opened.ok()) return ToGrpc(opened.status());
  std::unique_ptr<content::Writer> writer = *std::move(opened);

  api::WriteContentResponse msg;
  while (true) {
    msg.Clear();
    msg.set_action(req.action());

    // Any message may name the expected digest; once that blob exists, the write is pointless.
    if (!req.expected().empty()) {
      auto d = Digest::Parse(req.expected());
      if (!d.ok()) return ToGrpc(d.status());
      expected = *d;
      if (store_->GetInfo(*ctx, *expected).ok()) {
        writer.reset();  // unlock the ref before aborting it
        IgnoreError(store_->Abort(*ctx, ref), "the ingest may hold nothing yet");
        return ToGrpc(absl::AlreadyExistsError(fmt::format("blob with expected digest {} exists",
                                                           expected->str())));
      }
    }
    if (req.total() > 0) total = req.total();

    switch (req.action()) {
      case api::STAT:
        break;
      case api::WRITE:
      case api::COMMIT: {
        int64_t offset = writer->GetStatus().offset;
        if (req.offset() > 0 && req.offset() != offset) {
          return ToGrpc(absl::OutOfRangeError(
              fmt::format("write @{} to ref {} must occur at current offset {}", req.offset(), ref, offset)));
        }
        if (req.offset() == 0 && offset > 0 && (!req.data().empty() || req.action() == api::WRITE)) {
          if (absl::Status s = writer->Truncate(); !s.ok()) return ToGrpc(s);
        }
        if (!req.data().empty()) {
          if (absl::Status s = writer->Write(req.data()); !s.ok()) return ToGrpc(s);
        }
        if (req.action() == api::COMMIT) {
          content::CommitOptions opts{.size = total, .expected = expected, .labels = FromProto(req.labels())};
          if (absl::Status s = writer->Commit(opts); !s.ok()) return ToGrpc(s);
        }
        break;
      }
      default:
        return ToGrpc(absl::InvalidArgumentError(fmt::format("unknown write action {}", req.action())));
    }
    FillStatus(*writer, total, &msg);
    if (!stream->Write(msg)) return grpc::Status::OK;  // the client left; the ingest stays resumable
    if (req.action() == api::COMMIT) return grpc::Status::OK;
    if (!stream->Read(&req)) return grpc::Status::OK;  // half-close: done
  }
}

}  // namespace berth::services
