#include "services/tasks_service.h"

#include "filters/filter.h"
#include "google/protobuf/util/time_util.h"
#include "services/convert.h"

namespace berth::services {

namespace taskapi = containerd::task::v2;

namespace {

void ToProcess(const taskapi::StateResponse& state, const std::string& container_id, containerd::v1::types::Process* out) {
  out->set_container_id(container_id);
  out->set_id(state.exec_id().empty() ? container_id : state.exec_id());
  out->set_pid(state.pid());
  out->set_status(state.status());
  out->set_stdin(state.stdin());
  out->set_stdout(state.stdout());
  out->set_stderr(state.stderr());
  out->set_terminal(state.terminal());
  out->set_exit_status(state.exit_status());
  if (state.has_exited_at()) *out->mutable_exited_at() = state.exited_at();
}

// As containerd's getProcessState: a shim that does not answer State (hung, or dying right now) is reported
// UNKNOWN rather than hidden; only NotFound (the process is gone) is an error.
absl::StatusOr<taskapi::StateResponse> StateOrUnknown(runtime::Task& task, const std::string& exec_id) {
  auto state = task.State(exec_id);
  if (state.ok() || absl::IsNotFound(state.status())) return state;
  taskapi::StateResponse unknown;
  unknown.set_id(task.id());
  unknown.set_exec_id(exec_id);
  unknown.set_pid(exec_id.empty() ? task.pid() : 0);
  unknown.set_status(containerd::v1::types::UNKNOWN);
  return unknown;
}

}  // namespace

absl::StatusOr<std::shared_ptr<runtime::Task>> TasksService::Lookup(grpc::ServerContext* sc, const std::string& id) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ctx.status();
  return tasks_->Get(ctx->ns, id);
}

grpc::Status TasksService::Create(grpc::ServerContext* sc, const tasksapi::CreateTaskRequest* req,
                                  tasksapi::CreateTaskResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  if (req->has_checkpoint() && !req->checkpoint().digest().empty()) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "checkpoint restore is not supported by berthd");
  }
  auto container = containers_->Get(*ctx, req->container_id());
  if (!container.ok()) return ToGrpc(container.status());
  runtime::CreateTaskOptions options{.stdin_path = req->stdin(),
                                     .stdout_path = req->stdout(),
                                     .stderr_path = req->stderr(),
                                     .terminal = req->terminal()};
  options.rootfs.assign(req->rootfs().begin(), req->rootfs().end());
  if (req->has_options()) options.options = containers::Any{req->options().type_url(), req->options().value()};
  auto task = tasks_->Create(ctx->ns, *container, options);
  if (!task.ok()) return ToGrpc(task.status());
  resp->set_container_id(req->container_id());
  resp->set_pid((*task)->pid());
  return grpc::Status::OK;
}

grpc::Status TasksService::Start(grpc::ServerContext* sc, const tasksapi::StartRequest* req,
                                 tasksapi::StartResponse* resp) {
  auto task = Lookup(sc, req->container_id());
  if (!task.ok()) return ToGrpc(task.status());
  taskapi::StartRequest request;
  request.set_id(req->container_id());
  request.set_exec_id(req->exec_id());
  taskapi::StartResponse response;
  absl::Status s = (*task)->Call("Start", request, &response);
  if (!s.ok()) return ToGrpc(s);
  resp->set_pid(response.pid());
  return grpc::Status::OK;
}

grpc::Status TasksService::Delete(grpc::ServerContext* sc, const tasksapi::DeleteTaskRequest* req,
                                  tasksapi::DeleteResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto deleted = tasks_->Delete(ctx->ns, req->container_id());
  if (!deleted.ok()) return ToGrpc(deleted.status());
  resp->set_id(req->container_id());
  resp->set_pid(deleted->pid());
  resp->set_exit_status(deleted->exit_status());
  *resp->mutable_exited_at() = deleted->exited_at();
  return grpc::Status::OK;
}

grpc::Status TasksService::DeleteProcess(grpc::ServerContext* sc, const tasksapi::DeleteProcessRequest* req,
                                         tasksapi::DeleteResponse* resp) {
  if (req->exec_id().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "exec id cannot be empty");
  auto task = Lookup(sc, req->container_id());
  if (!task.ok()) return ToGrpc(task.status());
  taskapi::DeleteRequest request;
  request.set_id(req->container_id());
  request.set_exec_id(req->exec_id());
  taskapi::DeleteResponse response;
  absl::Status s = (*task)->Call("Delete", request, &response);
  if (!s.ok()) return ToGrpc(s);
  resp->set_id(req->exec_id());
  resp->set_pid(response.pid());
  resp->set_exit_status(response.exit_status());
  *resp->mutable_exited_at() = response.exited_at();
  return grpc::Status::OK;
}

grpc::Status TasksService::Get(grpc::ServerContext* sc, const tasksapi::GetRequest* req, tasksapi::GetResponse* resp) {
  auto task = Lookup(sc, req->container_id());
  if (!task.ok()) return ToGrpc(task.status());
  auto state = StateOrUnknown(**task, req->exec_id());
  if (!state.ok()) return ToGrpc(state.status());
  ToProcess(*state, req->container_id(), resp->mutable_process());
  return grpc::Status::OK;
}

grpc::Status TasksService::List(grpc::ServerContext* sc, const tasksapi::ListTasksRequest*,
                                tasksapi::ListTasksResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  for (const auto& task : tasks_->List(ctx->ns)) {
    auto state = StateOrUnknown(*task, "");
    if (!state.ok()) continue;  // NotFound: deleted meanwhile, as containerd skips it
    ToProcess(*state, task->id(), resp->add_tasks());
  }
  return grpc::Status::OK;
}

grpc::Status TasksService::Kill(grpc::ServerContext* sc, const tasksapi::KillRequest* req, google::protobuf::Empty*) {
  auto task = Lookup(sc, req->container_id());
  if (!task.ok()) return ToGrpc(task.status());
  taskapi::KillRequest request;
  request.set_id(req->container_id());
  request.set_exec_id(req->exec_id());
  request.set_signal(req->signal());
  request.set_all(req->all());
  return ToGrpc((*task)->Call("Kill", request, nullptr));
}

grpc::Status TasksService::Exec(grpc::ServerContext* sc, const tasksapi::ExecProcessRequest* req,
                                google::protobuf::Empty*) {
  if (req->exec_id().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "exec id cannot be empty");
  auto task = Lookup(sc, req->container_id());
  if (!task.ok()) return ToGrpc(task.status());
  taskapi::ExecProcessRequest request;
  request.set_id(req->container_id());
  request.set_exec_id(req->exec_id());
  request.set_terminal(req->terminal());
  request.set_stdin(req->stdin());
  request.set_stdout(req->stdout());
  request.set_stderr(req->stderr());
  *request.mutable_spec() = req->spec();
  return ToGrpc((*task)->Call("Exec", request, nullptr));
}

grpc::Status TasksService::ResizePty(grpc::ServerContext* sc, const tasksapi::ResizePtyRequest* req,
                                     google::protobuf::Empty*) {
  auto task = Lookup(sc, req->container_id());
  if (!task.ok()) return ToGrpc(task.status());
  taskapi::ResizePtyRequest request;
  request.set_id(req->container_id());
  request.set_exec_id(req->exec_id());
  request.set_width(req->width());
  request.set_height(req->height());
  return ToGrpc((*task)->Call("ResizePty", request, nullptr));
}

grpc::Status TasksService::CloseIO(grpc::ServerContext* sc, const tasksapi::CloseIORequest* req,
                                   google::protobuf::Empty*) {
  auto task = Lookup(sc, req->container_id());
  if (!task.ok()) return ToGrpc(task.status());
  taskapi::CloseIORequest request;
  request.set_id(req->container_id());
  request.set_exec_id(req->exec_id());
  request.set_stdin(req->stdin());
  return ToGrpc((*task)->Call("CloseIO", request, nullptr));
}

grpc::Status TasksService::Pause(grpc::ServerContext* sc, const tasksapi::PauseTaskRequest* req,
                                 google::protobuf::Empty*) {
  auto task = Lookup(sc, req->container_id());
  if (!task.ok()) return ToGrpc(task.status());
  taskapi::PauseRequest request;
  request.set_id(req->container_id());
  return ToGrpc((*task)->Call("Pause", request, nullptr));
}

grpc::Status TasksService::Resume(grpc::ServerContext* sc, const tasksapi::ResumeTaskRequest* req,
                                  google::protobuf::Empty*) {
  auto task = Lookup(sc, req->container_id());
  if (!task.ok()) return ToGrpc(task.status());
  taskapi::ResumeRequest request;
  request.set_id(req->container_id());
  return ToGrpc((*task)->Call("Resume", request, nullptr));
}

grpc::Status TasksService::ListPids(grpc::ServerContext* sc, const tasksapi::ListPidsRequest* req,
                                    tasksapi::ListPidsResponse* resp) {
  auto task = Lookup(sc, req->container_id());
  if (!task.ok()) return ToGrpc(task.status());
  taskapi::PidsRequest request;
  request.set_id(req->container_id());
  taskapi::PidsResponse response;
  absl::Status s = (*task)->Call("Pids", request, &response);
  if (!s.ok()) return ToGrpc(s);
  *resp->mutable_processes() = response.processes();
  return grpc::Status::OK;
}

grpc::Status TasksService::Checkpoint(grpc::ServerContext*, const tasksapi::CheckpointTaskRequest*,
                                      tasksapi::CheckpointTaskResponse*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "checkpoint is not supported by berthd");
}

grpc::Status TasksService::Update(grpc::ServerContext* sc, const tasksapi::UpdateTaskRequest* req,
                                  google::protobuf::Empty*) {
  auto task = Lookup(sc, req->container_id());
  if (!task.ok()) return ToGrpc(task.status());
  taskapi::UpdateTaskRequest request;
  request.set_id(req->container_id());
  *request.mutable_resources() = req->resources();
  *request.mutable_annotations() = req->annotations();
  return ToGrpc((*task)->Call("Update", request, nullptr));
}

grpc::Status TasksService::Metrics(grpc::ServerContext* sc, const tasksapi::MetricsRequest* req,
                                   tasksapi::MetricsResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  auto filter = filters::Filter::Parse(FromProto(req->filters()));
  if (!filter.ok()) return ToGrpc(absl::InvalidArgumentError(filter.status().message()));
  for (const auto& task : tasks_->List(ctx->ns)) {
    std::string id = task->id(), ns = ctx->ns;
    bool match = filter->Match([&](const std::vector<std::string>& path) -> std::optional<std::string> {
      if (path.size() == 1 && path[0] == "id") return id;
      if (path.size() == 1 && path[0] == "namespace") return ns;
      return std::nullopt;
    });
    if (!match) continue;
    taskapi::StatsRequest request;
    request.set_id(id);
    taskapi::StatsResponse response;
    if (!task->Call("Stats", request, &response).ok()) continue;  // stopped meanwhile: as containerd, skipped
    auto* metric = resp->add_metrics();
    *metric->mutable_timestamp() = google::protobuf::util::TimeUtil::GetCurrentTime();
    metric->set_id(id);
    *metric->mutable_data() = response.stats();
  }
  return grpc::Status::OK;
}

grpc::Status TasksService::Wait(grpc::ServerContext* sc, const tasksapi::WaitRequest* req,
                                tasksapi::WaitResponse* resp) {
  auto task = Lookup(sc, req->container_id());
  if (!task.ok()) return ToGrpc(task.status());
  auto waited = (*task)->Wait(req->exec_id(), [sc] { return sc->IsCancelled(); });
  if (!waited.ok()) return ToGrpc(waited.status());
  resp->set_exit_status(waited->exit_status());
  *resp->mutable_exited_at() = waited->exited_at();
  return grpc::Status::OK;
}

}  // namespace berth::services
