// berth ps [-a] [-q] [--no-trunc]: containers and their tasks as a table, nerdctl-like (running and paused ones
// unless -a): CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS (with the exit code and why it stopped), NAMES.
// Task states and stop reasons come from berth.services.tasks.v1.TaskStatus; against a daemon without it
// (containerd) from tasks.v1, without reasons.
#include <algorithm>
#include <cstdio>
#include <map>

#include "absl/status/statusor.h"
#include "berth/services/tasks/v1/task_status.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "ps_format.h"
#include "verbs.h"
#include "plugins/runtime/status_name.h"

namespace berth::cli {

namespace {

namespace ctrapi = containerd::services::containers::v1;
namespace statusapi = berth::services::tasks::v1;

constexpr size_t kShortIdLength = 12;

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() <= 0) return absl::InfinitePast();  // unset, or Go's zero time
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

std::vector<std::string> Args(const google::protobuf::Any& spec) {
  try {
    auto j = nlohmann::json::parse(spec.value());
    return j.at("process").at("args").get<std::vector<std::string>>();
  } catch (const std::exception&) {
    return {};  // not an OCI spec we can read: the cell shows ""
  }
}

// Container id → its task, from berthd's TaskStatus, or tasks.v1 when the daemon has no such service.
absl::StatusOr<std::map<std::string, TaskView>> ListTasks(const Globals& g) {
  auto channel = Connect(g);
  std::map<std::string, TaskView> out;
  statusapi::ListTaskStatusResponse statuses;
  grpc::Status s = statusapi::TaskStatus::NewStub(channel)->List(CallContext(g).get(), {}, &statuses);
  if (s.ok()) {
    for (const auto& t : statuses.tasks()) {
      out[t.container_id()] = {.present = true,
                               .status = t.status(),
                               .exit_code = t.exit_code(),
                               .exited_at = FromProto(t.exited_at()),
                               .started_at = FromProto(t.started_at()),
                               .reason = t.reason()};
    }
    return out;
  }
  if (s.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), "list tasks: " + s.error_message());
  }
  containerd::services::tasks::v1::ListTasksResponse tasks;
  s = containerd::services::tasks::v1::Tasks::NewStub(channel)->List(CallContext(g).get(), {}, &tasks);
  if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), "list tasks: " + s.error_message());
  for (const auto& t : tasks.tasks()) {
    out[t.id()] = {.present = true,
                   .status = runtime::TaskStatusName(t.status()),
                   .exit_code = t.exit_status(),
                   .exited_at = FromProto(t.exited_at())};
  }
  return out;
}

bool ShownWithoutAll(const TaskView& t) {
  return t.present && t.status != "stopped" && t.status != "created";
}

}  // namespace

void AddPs(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("ps", "list containers (running ones; -a for all)");
  auto all = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  auto no_trunc = std::make_shared<bool>(false);
  cmd->add_flag("-a,--all", *all, "show all containers, not only running ones");
  cmd->add_flag("-q,--quiet", *quiet, "print container ids only (in full, as berth rm/kill take them)");
  cmd->add_flag("--no-trunc", *no_trunc, "do not shorten ids and commands");
  cmd->callback([&g, &rc, all, quiet, no_trunc] {
    ctrapi::ListContainersResponse containers;
    grpc::Status s = ctrapi::Containers::NewStub(Connect(g))->List(CallContext(g).get(), {}, &containers);
    if (!s.ok()) {
      rc = Fail("list containers", s);
      return;
    }
    auto tasks = ListTasks(g);
    if (!tasks.ok()) {
      std::fprintf(stderr, "berth: %s\n", std::string(tasks.status().message()).c_str());
      rc = 1;
      return;
    }
    std::vector<const ctrapi::Container*> shown;
    for (const auto& c : containers.containers()) {
      auto it = tasks->find(c.id());
      if (*all || (it != tasks->end() && ShownWithoutAll(it->second))) shown.push_back(&c);
    }
    // Newest first, as docker and nerdctl.
    std::stable_sort(shown.begin(), shown.end(), [](const ctrapi::Container* a, const ctrapi::Container* b) {
      return FromProto(a->created_at()) > FromProto(b->created_at());
    });
    if (*quiet) {
      for (const auto* c : shown) std::printf("%s\n", c->id().c_str());
      return;
    }
    absl::Time now = absl::Now();
    std::vector<std::vector<std::string>> rows = {{"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "NAMES"}};
    for (const auto* c : shown) {
      auto it = tasks->find(c->id());
      TaskView task = it == tasks->end() ? TaskView{} : it->second;
      absl::Time created = FromProto(c->created_at());
      rows.push_back({*no_trunc ? c->id() : c->id().substr(0, kShortIdLength), c->image(),
                      CommandText(Args(c->spec()), *no_trunc ? std::string::npos : 20),
                      created == absl::InfinitePast() ? "" : HumanDuration(now - created) + " ago",
                      StatusText(task, now), c->id()});
    }
    std::fputs(FormatTable(rows).c_str(), stdout);
  });
}

}  // namespace berth::cli
