// berth version: the CLI's and the daemon's versions.
#include <cstdio>

#include "github.com/containerd/containerd/api/services/version/v1/version.grpc.pb.h"
#include "verbs.h"

namespace berth::cli {

void AddVersion(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("version", "print client and server versions");
  cmd->callback([&g, &rc] {
    std::printf("Client: berth 0.1.0\n");
    auto stub = containerd::services::version::v1::Version::NewStub(Connect(g));
    google::protobuf::Empty req;
    containerd::services::version::v1::VersionResponse resp;
    grpc::Status s = stub->Version(CallContext(g).get(), req, &resp);
    if (!s.ok()) {
      rc = Fail("version", s);
      return;
    }
    std::printf("Server: berthd %s (revision %s)\n", resp.version().c_str(), resp.revision().c_str());
  });
}

}  // namespace berth::cli
