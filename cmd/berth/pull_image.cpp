#include "pull_image.h"

#include <unistd.h>

#include "berth/services/pull/v1/pull.grpc.pb.h"
#include "progress_view.h"

namespace berth::cli {

namespace api = berth::services::pull::v1;

absl::StatusOr<PulledImage> PullImage(const Globals& g, const PullImageOptions& o, std::FILE* out) {
  api::PullRequest req;
  req.set_ref(o.ref);
  req.set_plain_http(o.plain_http);
  req.set_platform(o.platform);
  req.set_snapshotter(o.snapshotter);
  auto stub = api::Pull::NewStub(Connect(g));
  auto ctx = CallContext(g);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::hours(6));  // a big image on a slow link
  auto stream = stub->Pull(ctx.get(), req);
  ProgressView view(::isatty(::fileno(out)) == 1);
  api::PullProgress progress, last;
  while (stream->Read(&progress)) {
    std::vector<BlobView> blobs;
    for (const auto& b : progress.blobs()) {
      blobs.push_back({.digest = b.digest(), .kind = b.kind(), .total = b.total(), .done = b.done(), .state = b.state()});
    }
    std::fputs(view.Update(blobs, ProgressView::Clock::now()).c_str(), out);
    std::fflush(out);
    last = progress;
  }
  grpc::Status s = stream->Finish();
  if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  return PulledImage{.name = last.image(), .target_digest = last.target_digest()};
}

}  // namespace berth::cli
