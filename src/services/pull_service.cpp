#include "services/pull_service.h"

#include <chrono>
#include <future>
#include <thread>

#include "services/convert.h"

namespace berth::services {

namespace api = berth::services::pull::v1;

namespace {

api::PullProgress ToProto(const transfer::PullProgress& progress) {
  api::PullProgress out;
  for (const transfer::BlobProgress& b : progress.Snapshot()) {
    api::BlobProgress* p = out.add_blobs();
    p->set_digest(b.digest);
    p->set_kind(b.kind);
    p->set_total(b.total);
    p->set_done(b.done);
    p->set_state(transfer::BlobStateName(b.state));
  }
  return out;
}

}  // namespace

grpc::Status PullService::Pull(grpc::ServerContext* sc, const api::PullRequest* req,
                               grpc::ServerWriter<api::PullProgress>* writer) {
  absl::StatusOr<Context> ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  if (req->ref().empty()) return ToGrpc(absl::InvalidArgumentError("ref must not be empty"));
  transfer::PullRequest pull{.ref = req->ref(),
                             .platform = req->platform(),
                             .plain_http = req->plain_http(),
                             .snapshotter = req->snapshotter(),
                             .unpack = !req->skip_unpack()};
  // The pull runs on its own thread; this one streams its progress (the pull's threads never block on a slow
  // client, and the client sees bytes moving while a layer unpacks).
  transfer::PullProgress progress;
  auto done = std::async(std::launch::async, [&] { return puller_->Pull(*ctx, pull, &progress); });
  bool client_gone = false;
  while (done.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    if (!client_gone && !writer->Write(ToProto(progress))) client_gone = true;  // ctx sees the cancellation
  }
  absl::StatusOr<images::Image> image = done.get();
  if (!image.ok()) return ToGrpc(image.status());
  api::PullProgress last = ToProto(progress);
  last.set_image(image->name);
  last.set_target_digest(image->target.digest.str());
  writer->Write(last);
  return grpc::Status::OK;
}

}  // namespace berth::services
