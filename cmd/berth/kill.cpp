// berth kill [-s SIGNAL] [-a] ID...: signal containers' tasks (SIGKILL by default, as nerdctl and docker).
#include <csignal>
#include <cstdio>
#include <cstring>

#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"
#include "verbs.h"

namespace berth::cli {

// "KILL", "SIGKILL" or "9" → 9; 0 if unknown.
int ParseSignal(std::string name) {
  if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0]))) return std::atoi(name.c_str());
  if (name.rfind("SIG", 0) == 0) name = name.substr(3);
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev != nullptr && name == abbrev) return sig;
  }
  return 0;
}

void AddKill(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("kill", "send a signal to containers' tasks");
  auto signal = std::make_shared<std::string>("SIGKILL");
  auto all = std::make_shared<bool>(false);
  auto ids = std::make_shared<std::vector<std::string>>();
  cmd->add_option("-s,--signal", *signal, "signal name or number")->capture_default_str();
  cmd->add_flag("-a,--all", *all, "signal every process of the task");
  cmd->add_option("ID", *ids, "container ids")->required();
  cmd->callback([&g, &rc, signal, all, ids] {
    int sig = ParseSignal(*signal);
    if (sig <= 0) {
      std::fprintf(stderr, "berth: unknown signal %s\n", signal->c_str());
      rc = 1;
      return;
    }
    auto stub = containerd::services::tasks::v1::Tasks::NewStub(Connect(g));
    for (const std::string& id : *ids) {
      containerd::services::tasks::v1::KillRequest req;
      req.set_container_id(id);
      req.set_signal(sig);
      req.set_all(*all);
      google::protobuf::Empty empty;
      grpc::Status s = stub->Kill(CallContext(g).get(), req, &empty);
      if (!s.ok()) {
        rc = Fail("kill " + id, s);
        continue;
      }
      std::printf("%s\n", id.c_str());
    }
  });
}

}  // namespace berth::cli
