// berth images: the images of a namespace, as a table.
#include <cstdio>

#include "github.com/containerd/containerd/api/services/images/v1/images.grpc.pb.h"
#include "verbs.h"

namespace berth::cli {

void AddImages(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("images", "list images");
  auto quiet = std::make_shared<bool>(false);
  cmd->add_flag("-q,--quiet", *quiet, "names only");
  cmd->callback([&g, &rc, quiet] {
    auto stub = containerd::services::images::v1::Images::NewStub(Connect(g));
    containerd::services::images::v1::ListImagesRequest req;
    containerd::services::images::v1::ListImagesResponse resp;
    grpc::Status s = stub->List(CallContext(g).get(), req, &resp);
    if (!s.ok()) {
      rc = Fail("list images", s);
      return;
    }
    if (*quiet) {
      for (const auto& image : resp.images()) std::printf("%s\n", image.name().c_str());
      return;
    }
    std::printf("%-50s %-19s %s\n", "NAME", "DIGEST", "MEDIA TYPE");
    for (const auto& image : resp.images()) {
      std::string digest = image.target().digest().substr(0, 19);
      std::printf("%-50s %-19s %s\n", image.name().c_str(), digest.c_str(), image.target().media_type().c_str());
    }
  });
}

}  // namespace berth::cli
