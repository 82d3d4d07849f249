// berth exec [-t] [-i] [--exec-id E] ID CMD...: run a process in a running container (its spec's user, env,
// cwd and capabilities, as ctr tasks exec), attached; exits with its status.
#include <cstdio>
#include <random>

#include "attach.h"
#include "base/status.h"
#include "fmt/format.h"
#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "stdio.h"
#include "verbs.h"

namespace berth::cli {

namespace {

namespace tasksapi = containerd::services::tasks::v1;

struct ExecOptions {
  bool tty = false, interactive = false;
  std::string exec_id;
  std::vector<std::string> rest;  // ID CMD...
};

absl::Status Check(const grpc::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), fmt::format("{}: {}", what, s.error_message()));
}

// The container's process with `args` and the terminal flag replaced.
absl::StatusOr<std::string> ProcessSpec(const Globals& g, const std::string& id, const std::vector<std::string>& args,
                                        bool tty) {
  containerd::services::containers::v1::GetContainerRequest req;
  req.set_id(id);
  containerd::services::containers::v1::GetContainerResponse resp;
  RETURN_IF_ERROR(Check(containerd::services::containers::v1::Containers::NewStub(Connect(g))->Get(
                            CallContext(g).get(), req, &resp),
                        "container " + id));
  try {
    auto process = nlohmann::json::parse(resp.container().spec().value()).at("process");
    process["args"] = args;
    process["terminal"] = tty;
    if (tty) process["env"].push_back("TERM=xterm");
    return process.dump();
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(fmt::format("container {}: unreadable spec: {}", id, e.what()));
  }
}

absl::StatusOr<int> Exec(const Globals& g, const ExecOptions& o) {
  if (o.rest.size() < 2) return absl::InvalidArgumentError("usage: berth exec [-t] [-i] ID CMD...");
  const std::string& id = o.rest[0];
  std::vector<std::string> args(o.rest.begin() + 1, o.rest.end());
  std::string exec_id = o.exec_id;
  if (exec_id.empty()) exec_id = fmt::format("exec-{:08x}", std::random_device{}());
  ASSIGN_OR_RETURN(std::string process, ProcessSpec(g, id, args, o.tty));
  ASSIGN_OR_RETURN(std::unique_ptr<Stdio> stdio, Stdio::Create(exec_id, o.tty, o.tty || o.interactive));
  auto tasks = tasksapi::Tasks::NewStub(Connect(g));
  tasksapi::ExecProcessRequest req;
  req.set_container_id(id);
  req.set_exec_id(exec_id);
  req.set_terminal(o.tty);
  req.set_stdin(stdio->stdin_path());
  req.set_stdout(stdio->stdout_path());
  req.set_stderr(stdio->stderr_path());
  req.mutable_spec()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Process");
  req.mutable_spec()->set_value(process);
  google::protobuf::Empty empty;
  RETURN_IF_ERROR(Check(tasks->Exec(CallContext(g).get(), req, &empty), "exec in " + id));
  absl::StatusOr<uint32_t> status = StartAndWait(g, id, exec_id, *stdio, o.tty);
  stdio.reset();
  tasksapi::DeleteProcessRequest del;
  del.set_container_id(id);
  del.set_exec_id(exec_id);
  tasksapi::DeleteResponse deleted;
  (void)tasks->DeleteProcess(CallContext(g).get(), del, &deleted);
  if (!status.ok()) return status.status();
  return static_cast<int>(*status);
}

}  // namespace

void AddExec(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("exec", "run a process in a running container");
  auto o = std::make_shared<ExecOptions>();
  cmd->add_flag("-t,--tty", o->tty, "give it a terminal");
  cmd->add_flag("-i,--interactive", o->interactive, "connect stdin");
  cmd->add_option("--exec-id", o->exec_id, "process id within the task (default: random)");
  cmd->prefix_command();  // ID CMD...: the command's own flags are not ours
  cmd->footer("Arguments: ID CMD...");
  cmd->callback([&g, &rc, o, cmd] {
    o->rest = cmd->remaining();
    auto r = Exec(g, *o);
    if (!r.ok()) {
      std::fprintf(stderr, "berth: exec: %s\n", std::string(r.status().message()).c_str());
      rc = 1;
      return;
    }
    rc = *r;
  });
}

}  // namespace berth::cli
