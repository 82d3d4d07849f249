#include "plugins/runtime/task_manager.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "base/log.h"
#include "base/pidfd.h"
#include "base/scope_guard.h"
#include "base/status.h"
#include "fmt/format.h"
#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "plugins/runtime/command.h"
#include "plugins/runtime/shim_binary.h"

extern char** environ;

namespace berth::runtime {

namespace {

absl::Status TaskNotFound(const std::string& id) {
  return absl::NotFoundError(fmt::format("task {} not found", id));
}

}  // namespace

TaskManager::TaskManager(TaskManagerOptions options) : options_(std::move(options)) {
  std::error_code ec;
  self_exe_ = std::filesystem::read_symlink("/proc/self/exe", ec).string();
}

TaskManager::~TaskManager() {
  background_.Stop();  // its work uses the watcher and the tasks
  watcher_->Stop();  // no death callbacks from here on (one in progress finishes first)
  if (events_server_) events_server_->Shutdown();
  std::lock_guard lock(mu_);
  for (auto& [key, task] : tasks_) task->Detach();
}

absl::StatusOr<std::unique_ptr<TaskManager>> TaskManager::Open(TaskManagerOptions options) {
  std::unique_ptr<TaskManager> m(new TaskManager(std::move(options)));
  ASSIGN_OR_RETURN(m->watcher_, Watcher::Start());
  std::error_code ec;
  std::filesystem::create_directories(m->TasksRoot(), ec);
  if (::chmod(m->TasksRoot().c_str(), 0700) != 0) return ErrnoStatus(errno, "chmod", m->TasksRoot());
  RETURN_IF_ERROR(m->ServeEvents());
  m->Recover();
  return m;
}

std::vector<std::string> TaskManager::ShimEnv() const {
  std::vector<std::string> env;
  bool has_gomaxprocs = false;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("TTRPC_ADDRESS=")) continue;
    has_gomaxprocs = has_gomaxprocs || kv.starts_with("GOMAXPROCS=");
    env.emplace_back(kv);
  }
  env.push_back("TTRPC_ADDRESS=" + options_.daemon_address + ".ttrpc");
  if (!has_gomaxprocs) env.push_back("GOMAXPROCS=2");  // as containerd: Go shims stay small
  return env;
}

std::vector<std::string> TaskManager::ShimArgs(const Task& task, const std::string& action) const {
  std::vector<std::string> args = {task.shim_binary(), "-namespace",     task.ns(), "-address",
                                   options_.daemon_address, "-publish-binary", self_exe_, "-id", task.id()};
  if (action == "delete") {
    args.push_back("-bundle");
    args.push_back(task.bundle().dir());
  }
  args.push_back(action);
  return args;
}

absl::StatusOr<std::string> TaskManager::StartShim(const Task& task, const std::optional<containers::Any>& options) {
  std::string stdin_data;
  if (options) {
    google::protobuf::Any any;
    any.set_type_url(options->type_url);
    any.set_value(options->value);
    stdin_data = any.SerializeAsString();
  }
  ASSIGN_OR_RETURN(CommandResult r, RunCommand({.argv = ShimArgs(task, "start"),
                                                .cwd = task.bundle().dir(),
                                                .env = ShimEnv(),
                                                .stdin_data = stdin_data,
                                                .merge_stderr = true,
                                                .timeout = std::chrono::seconds(10)}));
  std::string out = r.out;
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.front()))) out.erase(0, 1);
  if (r.exit_code != 0) {
    return absl::InternalError(fmt::format("start failed: {}: exit status {}", out, r.exit_code));
  }
  if (!out.starts_with("unix://") && !out.starts_with("/")) {
    // An abstract socket name (no path): refused, a path can be protected by directory modes.
    return absl::FailedPreconditionError(
        fmt::format("shim {} answered address \"{}\", not a unix path socket", task.shim_binary(), out));
  }
  return out;
}

absl::StatusOr<std::shared_ptr<Task>> TaskManager::Create(const std::string& ns,
                                                          const containers::Container& container,
                                                          const CreateTaskOptions& options) {
  {
    std::unique_lock lock(mu_);
    // A deleted task of the same id may still be finishing (its shim's runc delete): bounded by its Shutdown's.
    if (!finished_.wait_for(lock, std::chrono::seconds(40), [&] { return !finishing_.contains({ns, container.id}); })) {
      return absl::UnavailableError(fmt::format("task {}: the previous task of this id is still being deleted",
                                                container.id));
    }
    if (tasks_.contains({ns, container.id})) {
      return absl::AlreadyExistsError(fmt::format("task {}: already exists", container.id));
    }
  }
  if (!container.spec) return absl::InvalidArgumentError(fmt::format("container {} has no spec", container.id));
  ASSIGN_OR_RETURN(std::string binary, ResolveShimBinary(container.runtime.name));
  auto task = std::make_shared<Task>(Bundle(TasksRoot(), ns, container.id), binary, container.runtime.name);
  const Bundle& bundle = task->bundle();
  RETURN_IF_ERROR(bundle.Create(container.spec->value));
  bool shim_started = false;
  std::unique_ptr<ShimClient> client;
  ScopeGuard undo([&] {
    if (client != nullptr) {
      // As containerd: a shim whose task was never created is told to go, or it would wait for one forever.
      ShutdownShim(*client, ns, container.id, /*now=*/true, std::chrono::seconds(3));
    }
    task->Detach();
    if (shim_started) {
      auto deleted = RunDeleteAction(*task);
      if (!deleted.ok()) log::Warn("task {}/{}: cleanup of a failed create: {}", ns, container.id,
                                   deleted.status().ToString());
    }
    watcher_->Unwatch(task->log_token_);
    absl::Status removed = bundle.Remove();
    if (!removed.ok()) log::Warn("task {}/{}: {}", ns, container.id, removed.ToString());
  });
  // Recorded before the shim starts, so a crash from here on leaves a bundle that Recover can clean up.
  RETURN_IF_ERROR(bundle.WriteShimBinaryPath(binary));
  ASSIGN_OR_RETURN(UniqueFd log, bundle.OpenLog());
  ASSIGN_OR_RETURN(task->log_token_, watcher_->DrainLog(std::move(log), fmt::format("shim {}/{}", ns, container.id)));
  shim_started = true;
  ASSIGN_OR_RETURN(std::string address, StartShim(*task, container.runtime.options));
  ASSIGN_OR_RETURN(client, ShimClient::Dial(address, ns));

  taskapi::CreateTaskRequest request;
  request.set_id(container.id);
  request.set_bundle(bundle.dir());
  for (const auto& m : options.rootfs) *request.add_rootfs() = m;
  request.set_terminal(options.terminal);
  request.set_stdin(options.stdin_path);
  request.set_stdout(options.stdout_path);
  request.set_stderr(options.stderr_path);
  if (options.options) {
    request.mutable_options()->set_type_url(options.options->type_url);
    request.mutable_options()->set_value(options.options->value);
  }
  taskapi::CreateTaskResponse created;
  RETURN_IF_ERROR(client->Call("Create", request, &created, std::chrono::seconds(30)));
  taskapi::ConnectRequest connect_request;
  connect_request.set_id(container.id);
  taskapi::ConnectResponse connected;
  RETURN_IF_ERROR(client->Call("Connect", connect_request, &connected));
  ASSIGN_OR_RETURN(UniqueFd init_pidfd, PidfdOpen(static_cast<pid_t>(created.pid())));
  task->Attach(std::move(client), created.pid(), std::move(init_pidfd));
  RETURN_IF_ERROR(Watch(task, connected.shim_pid()));
  undo.Dismiss();
  return task;
}

absl::StatusOr<std::shared_ptr<Task>> TaskManager::Get(const std::string& ns, const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find({ns, id});
  if (it == tasks_.end()) return TaskNotFound(id);
  return it->second;
}

std::vector<std::shared_ptr<Task>> TaskManager::List(const std::string& ns) {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Task>> out;
  for (const auto& [key, task] : tasks_) {
    if (key.first == ns) out.push_back(task);
  }
  return out;
}

absl::StatusOr<taskapi::DeleteResponse> TaskManager::Delete(const std::string& ns, const std::string& id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Task> task, Get(ns, id));
  taskapi::DeleteResponse response;
  if (std::optional<RecordedExit> exit = task->recorded_exit()) {
    // The shim died earlier: what it would have answered is on record.
    response.set_pid(exit->pid);
    response.set_exit_status(exit->exit_status);
    int64_t nanos = absl::ToUnixNanos(exit->exited_at);
    response.mutable_exited_at()->set_seconds(nanos / 1000000000);
    response.mutable_exited_at()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
    RETURN_IF_ERROR(task->bundle().Remove());
    {
      std::lock_guard lock(mu_);
      tasks_.erase({ns, id});
    }
    containerd::events::TaskDelete event;
    event.set_container_id(id);
    event.set_id(id);
    event.set_pid(response.pid());
    event.set_exit_status(response.exit_status());
    *event.mutable_exited_at() = response.exited_at();
    Publish(ns, "/tasks/delete", event);
    return response;
  }
  ASSIGN_OR_RETURN(taskapi::StateResponse state, task->State(""));
  if (state.status() == containerd::v1::types::RUNNING || state.status() == containerd::v1::types::PAUSED ||
      state.status() == containerd::v1::types::PAUSING) {
    std::string status = state.status() == containerd::v1::types::RUNNING ? "running" : "paused";
    return absl::FailedPreconditionError(
        fmt::format("task must be stopped before deletion: {}: failed precondition", status));
  }
  taskapi::DeleteRequest request;
  request.set_id(id);
  RETURN_IF_ERROR(task->Call("Delete", request, &response));
  {
    // From here on the shim's exit is ours, not a death.
    std::lock_guard lock(task->mu_);
    task->deleting_ = true;
  }
  watcher_->Unwatch(task->watch_token_);
  // Our shim answers Delete once the rootfs is unmounted; its runc delete may still run, and its Shutdown waits
  // for it. That wait and the bundle's removal are not the client's to wait for: the id is held meanwhile.
  if (IsBerthShim(task->shim_binary()) && task->bundle().MarkDeleted().ok()) {
    {
      std::lock_guard lock(mu_);
      tasks_.erase({ns, id});
      finishing_.insert({ns, id});
    }
    background_.Post([this, task, key = std::make_pair(ns, id)] {
      FinishDelete(*task);
      std::lock_guard lock(mu_);
      finishing_.erase(key);
      finished_.notify_all();
    });
    return response;
  }
  FinishDelete(*task);
  std::lock_guard lock(mu_);
  tasks_.erase({ns, id});
  return response;
}

void TaskManager::FinishDelete(Task& task) {
  const std::string& ns = task.bundle().ns();
  const std::string& id = task.bundle().id();
  ShutdownShim(task, ns, id, /*now=*/false, kShimShutdownTimeout);
  task.Detach();
  // As containerd after every shim disconnect: the shim's own cleanup (runc delete, unmount), then ours. Our
  // own shim has just done exactly that cleanup, so its delete action (one more shim and runc exec, a good part
  // of a short task's life) is skipped.
  if (!IsBerthShim(task.shim_binary())) {
    auto cleaned = RunDeleteAction(task);
    if (!cleaned.ok()) log::Warn("task {}/{}: shim delete action: {}", ns, id, cleaned.status().ToString());
  }
  watcher_->Unwatch(task.log_token_);
  // Out of the way at once, gone in the background: its files' removal is not the client's to wait for.
  absl::StatusOr<std::string> aside = task.bundle().MoveAside();
  if (!aside.ok()) {
    log::Warn("task {}/{}: {}", ns, id, aside.status().ToString());
    return;
  }
  if (!aside->empty()) {
    background_.Post([path = *std::move(aside)] {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
      if (ec) log::Warn("remove {}: {} (removed at the next start)", path, ec.message());
    });
  }
}

void TaskManager::Publish(const std::string& ns, const std::string& topic, const google::protobuf::Message& event) {
  if (options_.exchange == nullptr) return;
  absl::Status s = options_.exchange->Publish(ns, topic, "containerd.events." + event.GetDescriptor()->name(),
                                              event.SerializeAsString());
  if (!s.ok()) log::Warn("publish {}: {}", topic, s.ToString());
}

}  // namespace berth::runtime
