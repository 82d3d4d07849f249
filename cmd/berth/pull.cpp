// berth pull [--plain-http] [--platform P] [--snapshotter S] REF: berthd pulls and unpacks; this shows progress.
#include <unistd.h>

#include <cstdio>

#include "berth/services/pull/v1/pull.grpc.pb.h"
#include "progress_view.h"
#include "verbs.h"

namespace berth::cli {

namespace api = berth::services::pull::v1;

void AddPull(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("pull", "pull an image from a registry and unpack it (on berthd)");
  auto req = std::make_shared<api::PullRequest>();
  auto ref = std::make_shared<std::string>();
  auto plain_http = std::make_shared<bool>(false);
  auto platform = std::make_shared<std::string>();
  auto snapshotter = std::make_shared<std::string>();
  cmd->add_option("ref", *ref, "image reference, e.g. 127.0.0.1:5000/app:v1 or busybox")->required();
  cmd->add_flag("--plain-http", *plain_http, "use http:// for the registry");
  cmd->add_option("--platform", *platform, "os/arch[/variant] to pull (default: this machine's)");
  cmd->add_option("--snapshotter", *snapshotter, "snapshotter to unpack into (default: berthd's, overlayfs)");
  cmd->callback([&g, &rc, ref, plain_http, platform, snapshotter] {
    api::PullRequest req;
    req.set_ref(*ref);
    req.set_plain_http(*plain_http);
    req.set_platform(*platform);
    req.set_snapshotter(*snapshotter);
    auto stub = api::Pull::NewStub(Connect(g));
    auto ctx = CallContext(g);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::hours(6));  // a big image on a slow link
    auto stream = stub->Pull(ctx.get(), req);
    ProgressView view(::isatty(STDOUT_FILENO) == 1);
    api::PullProgress progress, last;
    while (stream->Read(&progress)) {
      std::vector<BlobView> blobs;
      for (const auto& b : progress.blobs()) {
        blobs.push_back({.digest = b.digest(), .kind = b.kind(), .total = b.total(), .done = b.done(), .state = b.state()});
      }
      std::fputs(view.Update(blobs, ProgressView::Clock::now()).c_str(), stdout);
      std::fflush(stdout);
      last = progress;
    }
    grpc::Status s = stream->Finish();
    if (!s.ok()) {
      rc = Fail("pull " + *ref, s);
      return;
    }
    std::printf("%s: %s\n", last.image().c_str(), last.target_digest().c_str());
  });
}

}  // namespace berth::cli
