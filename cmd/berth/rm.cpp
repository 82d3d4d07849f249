// berth rm [-f] ID...: delete containers with their stopped task and their snapshot (-f kills a running task).
#include <csignal>
#include <cstdio>
#include <thread>

#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"
#include "verbs.h"

namespace berth::cli {

namespace {

namespace tasksapi = containerd::services::tasks::v1;

// Deletes the container's task if it has one; with `force` a running one is SIGKILLed first (waiting ≤ 10 s).
grpc::Status RemoveTask(const Globals& g, tasksapi::Tasks::Stub& tasks, const std::string& id, bool force) {
  tasksapi::GetRequest get;
  get.set_container_id(id);
  tasksapi::GetResponse state;
  grpc::Status s = tasks.Get(CallContext(g).get(), get, &state);
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) return grpc::Status::OK;
  if (!s.ok()) return s;
  if (state.process().status() != containerd::v1::types::Status::STOPPED) {
    if (!force) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "container " + id + " is running: stop it first or use rm -f");
    }
    tasksapi::KillRequest kill;
    kill.set_container_id(id);
    kill.set_signal(SIGKILL);
    kill.set_all(true);
    google::protobuf::Empty empty;
    s = tasks.Kill(CallContext(g).get(), kill, &empty);
    if (!s.ok()) return s;
    tasksapi::WaitRequest wait;
    wait.set_container_id(id);
    tasksapi::WaitResponse waited;
    auto ctx = CallContext(g);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    s = tasks.Wait(ctx.get(), wait, &waited);
    if (!s.ok()) return s;
  }
  tasksapi::DeleteTaskRequest del;
  del.set_container_id(id);
  tasksapi::DeleteResponse deleted;
  return tasks.Delete(CallContext(g).get(), del, &deleted);
}

}  // namespace

void AddRm(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("rm", "remove containers (with their snapshot)");
  auto force = std::make_shared<bool>(false);
  auto ids = std::make_shared<std::vector<std::string>>();
  cmd->add_flag("-f,--force", *force, "kill a running container first");
  cmd->add_option("ID", *ids, "container ids")->required();
  cmd->callback([&g, &rc, force, ids] {
    auto channel = Connect(g);
    auto containers = containerd::services::containers::v1::Containers::NewStub(channel);
    auto tasks = tasksapi::Tasks::NewStub(channel);
    auto snapshots = containerd::services::snapshots::v1::Snapshots::NewStub(channel);
    for (const std::string& id : *ids) {
      containerd::services::containers::v1::GetContainerRequest get;
      get.set_id(id);
      containerd::services::containers::v1::GetContainerResponse container;
      grpc::Status s = containers->Get(CallContext(g).get(), get, &container);
      if (s.ok()) s = RemoveTask(g, *tasks, id, *force);
      if (s.ok() && !container.container().snapshot_key().empty()) {
        containerd::services::snapshots::v1::RemoveSnapshotRequest remove;
        remove.set_snapshotter(container.container().snapshotter());
        remove.set_key(container.container().snapshot_key());
        google::protobuf::Empty empty;
        s = snapshots->Remove(CallContext(g).get(), remove, &empty);
        if (s.error_code() == grpc::StatusCode::NOT_FOUND) s = grpc::Status::OK;
      }
      if (s.ok()) {
        containerd::services::containers::v1::DeleteContainerRequest del;
        del.set_id(id);
        google::protobuf::Empty empty;
        s = containers->Delete(CallContext(g).get(), del, &empty);
      }
      if (!s.ok()) {
        rc = Fail("rm " + id, s);
        continue;
      }
      std::printf("%s\n", id.c_str());
    }
  });
}

}  // namespace berth::cli
