// berth pull [--plain-http] [--platform P] [--snapshotter S] REF: berthd pulls and unpacks; this shows progress.
#include <cstdio>

#include "pull_image.h"
#include "verbs.h"

namespace berth::cli {

void AddPull(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("pull", "pull an image from a registry and unpack it (on berthd)");
  auto ref = std::make_shared<std::string>();
  auto plain_http = std::make_shared<bool>(false);
  auto platform = std::make_shared<std::string>();
  auto snapshotter = std::make_shared<std::string>();
  cmd->add_option("ref", *ref, "image reference, e.g. 127.0.0.1:5000/app:v1 or busybox")->required();
  cmd->add_flag("--plain-http", *plain_http, "use http:// for the registry");
  cmd->add_option("--platform", *platform, "os/arch[/variant] to pull (default: this machine's)");
  cmd->add_option("--snapshotter", *snapshotter, "snapshotter to unpack into (default: berthd's, overlayfs)");
  cmd->callback([&g, &rc, ref, plain_http, platform, snapshotter] {
    auto pulled = PullImage(
        g, {.ref = *ref, .plain_http = *plain_http, .platform = *platform, .snapshotter = *snapshotter}, stdout);
    if (!pulled.ok()) {
      std::fprintf(stderr, "berth: pull %s: %s\n", ref->c_str(), std::string(pulled.status().message()).c_str());
      rc = 1;
      return;
    }
    std::printf("%s: %s\n", pulled->name.c_str(), pulled->target_digest.c_str());
  });
}

}  // namespace berth::cli
