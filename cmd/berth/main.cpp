// berth: the command line for people operating berthd.
#include <cstdio>

#include "verbs.h"

namespace berth::cli {

int Fail(const std::string& what, const grpc::Status& s) {
  std::fprintf(stderr, "berth: %s: %s\n", what.c_str(), s.error_message().c_str());
  return 1;
}

}  // namespace berth::cli

int main(int argc, char** argv) {
  berth::cli::Globals g;
  int rc = 0;
  CLI::App app{"berth: operate berthd (pull, run, inspect disk use, verify storage)"};
  app.add_option("--address,-a", g.address, "berthd socket")->capture_default_str();
  app.add_option("--namespace,-n", g.ns, "namespace")->capture_default_str();
  app.require_subcommand(1);
  berth::cli::AddVersion(app, g, rc);
  berth::cli::AddImages(app, g, rc);
  berth::cli::AddPull(app, g, rc);
  berth::cli::AddGc(app, g, rc);
  berth::cli::AddDf(app, g, rc);
  berth::cli::AddFsck(app, g, rc);
  berth::cli::AddDoctor(app, g, rc);
  berth::cli::AddPs(app, g, rc);
  berth::cli::AddKill(app, g, rc);
  berth::cli::AddRm(app, g, rc);
  berth::cli::AddRun(app, g, rc);
  berth::cli::AddExec(app, g, rc);
  CLI11_PARSE(app, argc, argv);
  return rc;
}
