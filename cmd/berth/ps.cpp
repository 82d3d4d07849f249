// berth ps [-a]: containers and their tasks as a table, nerdctl-like (running ones only unless -a).
#include <cstdio>
#include <map>

#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "verbs.h"

namespace berth::cli {

namespace {

std::string Age(int64_t seconds_since_epoch) {
  int64_t s = std::time(nullptr) - seconds_since_epoch;
  if (s < 60) return std::to_string(s) + " seconds ago";
  if (s < 3600) return std::to_string(s / 60) + " minutes ago";
  if (s < 86400) return std::to_string(s / 3600) + " hours ago";
  return std::to_string(s / 86400) + " days ago";
}

std::string Command(const google::protobuf::Any& spec) {
  try {
    auto j = nlohmann::json::parse(spec.value());
    std::string out;
    for (const auto& a : j.at("process").at("args")) out += (out.empty() ? "" : " ") + a.get<std::string>();
    if (out.size() > 24) out = out.substr(0, 21) + "...";
    return "\"" + out + "\"";
  } catch (const std::exception&) {
    return "-";
  }
}

std::string Status(const containerd::v1::types::Process* p) {
  using containerd::v1::types::Status;
  if (p == nullptr) return "Created";
  switch (p->status()) {
    case Status::RUNNING: return "Up";
    case Status::PAUSED: return "Paused";
    case Status::PAUSING: return "Pausing";
    case Status::CREATED: return "Created";
    case Status::STOPPED: {
      std::string s = "Exited (" + std::to_string(p->exit_status()) + ")";
      if (p->has_exited_at() && p->exited_at().seconds() > 0) s += " " + Age(p->exited_at().seconds());
      return s;
    }
    default: return "Unknown";
  }
}

}  // namespace

void AddPs(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("ps", "list containers (running ones; -a for all)");
  auto all = std::make_shared<bool>(false);
  cmd->add_flag("-a,--all", *all, "show all containers, not only running ones");
  cmd->callback([&g, &rc, all] {
    auto channel = Connect(g);
    containerd::services::containers::v1::ListContainersResponse containers;
    grpc::Status s = containerd::services::containers::v1::Containers::NewStub(channel)->List(
        CallContext(g).get(), {}, &containers);
    if (!s.ok()) {
      rc = Fail("list containers", s);
      return;
    }
    containerd::services::tasks::v1::ListTasksResponse tasks;
    s = containerd::services::tasks::v1::Tasks::NewStub(channel)->List(CallContext(g).get(), {}, &tasks);
    if (!s.ok()) {
      rc = Fail("list tasks", s);
      return;
    }
    std::map<std::string, const containerd::v1::types::Process*> by_id;
    for (const auto& t : tasks.tasks()) by_id[t.id()] = &t;
    std::printf("%-20s %-32s %-26s %-16s %s\n", "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS");
    for (const auto& c : containers.containers()) {
      auto it = by_id.find(c.id());
      const containerd::v1::types::Process* task = it == by_id.end() ? nullptr : it->second;
      bool running = task != nullptr && task->status() != containerd::v1::types::Status::STOPPED;
      if (!*all && !running) continue;
      std::printf("%-20s %-32s %-26s %-16s %s\n", c.id().c_str(), c.image().c_str(), Command(c.spec()).c_str(),
                  Age(c.created_at().seconds()).c_str(), Status(task).c_str());
    }
  });
}

}  // namespace berth::cli
