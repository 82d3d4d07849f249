// TaskManager's half that deals with shims it did not see end: watching them, cleaning up after a dead one,
// reconnecting after a restart, and receiving their events.
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "base/log.h"
#include "base/pidfd.h"
#include "base/status.h"
#include "fmt/format.h"
#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "github.com/containerd/containerd/api/services/events/v1/events.pb.h"
#include "plugins/runtime/command.h"
#include "plugins/runtime/stop_reason.h"
#include "plugins/runtime/task_manager.h"
#include "ttrpc/unix_socket.h"

namespace berth::runtime {

namespace {

// What containerd records for a task whose shim died: 137 (SIGKILL) after a successful cleanup, 255 otherwise.
constexpr uint32_t kKilledStatus = 137;
constexpr uint32_t kCleanupFailedStatus = 255;

void ToTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  int64_t nanos = absl::ToUnixNanos(t);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace

absl::Status TaskManager::Watch(const std::shared_ptr<Task>& task, uint32_t shim_pid) {
  ASSIGN_OR_RETURN(UniqueFd pidfd, PidfdOpen(static_cast<pid_t>(shim_pid)));
  std::weak_ptr<Task> weak = task;
  ASSIGN_OR_RETURN(int token, watcher_->WatchExit(std::move(pidfd), [this, weak, shim_pid] {
    if (auto t = weak.lock()) OnShimDeath(t, fmt::format("shim (pid {}) died", shim_pid), true);
  }));
  {
    std::lock_guard lock(task->mu_);
    task->watch_token_ = token;
  }
  std::lock_guard lock(mu_);
  tasks_[{task->ns(), task->id()}] = task;
  return absl::OkStatus();
}

absl::StatusOr<taskapi::DeleteResponse> TaskManager::RunDeleteAction(const Task& task) {
  ASSIGN_OR_RETURN(CommandResult r, RunCommand({.argv = ShimArgs(task, "delete"),
                                                .cwd = task.bundle().dir(),
                                                .env = ShimEnv(),
                                                .timeout = std::chrono::seconds(3)}));
  while (!r.err.empty() && std::isspace(static_cast<unsigned char>(r.err.back()))) r.err.pop_back();
  if (!r.err.empty()) log::Info("task {}/{}: shim cleanup warnings: {}", task.ns(), task.id(), r.err);
  if (r.exit_code != 0) {
    return absl::InternalError(fmt::format("{} delete: exit status {}", task.shim_binary(), r.exit_code));
  }
  taskapi::DeleteResponse response;
  if (!response.ParseFromString(r.out)) {
    return absl::DataLossError(fmt::format("{} delete: unreadable DeleteResponse", task.shim_binary()));
  }
  return response;
}

void TaskManager::OnShimDeath(const std::shared_ptr<Task>& task, const std::string& why, bool publish) {
  {
    std::lock_guard lock(task->mu_);
    if (task->deleting_ || task->exit_) return;  // a Delete is ending the shim, or this ran already
  }
  auto start = std::chrono::steady_clock::now();
  task->Detach();
  RecordedExit exit{.pid = task->pid(), .exit_status = kKilledStatus, .exited_at = absl::Now(), .reason = why};
  // An init that had exited before its shim died keeps its own exit: the shim's death changed nothing for it.
  if (absl::StatusOr<StopRecord> stopped = ReadStopRecord(task->bundle().dir());
      stopped.ok() && stopped->exit_status && stopped->reason) {
    exit.exit_status = *stopped->exit_status;
    exit.stop_reason = *stopped->reason;
  }
  // The shim's own cleanup kills the container (runc delete --force) and unmounts its rootfs.
  auto deleted = RunDeleteAction(*task);
  if (deleted.ok()) {
    if (deleted->pid() != 0) exit.pid = deleted->pid();
    if (deleted->has_exited_at() && deleted->exited_at().seconds() > 0) {
      exit.exited_at = FromTimestamp(deleted->exited_at());
    }
  } else {
    if (exit.stop_reason.empty()) exit.exit_status = kCleanupFailedStatus;
    exit.reason += fmt::format("; its cleanup failed: {}", std::string(deleted.status().message()));
  }
  {
    // Whatever the cleanup did, the container's init must not outlive its shim.
    std::lock_guard lock(task->mu_);
    if (task->init_pidfd_.valid()) {
      ::syscall(SYS_pidfd_send_signal, task->init_pidfd_.get(), SIGKILL, nullptr, 0);
      task->init_pidfd_.Reset();
    }
  }
  watcher_->Unwatch(task->log_token_);
  // Recorded before the bundle is released: a crash in between leaves the exit, and Recover releases again.
  absl::Status recorded = task->bundle().WriteExit(exit);
  if (!recorded.ok()) log::Error("task {}/{}: {}", task->ns(), task->id(), recorded.ToString());
  absl::Status released = task->bundle().Release();
  if (!released.ok()) log::Error("task {}/{}: {}", task->ns(), task->id(), released.ToString());
  task->RecordExit(exit);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  log::Warn("task {}/{} stopped: {} (exit status {}, cleaned up in {} ms)", task->ns(), task->id(), exit.reason,
            exit.exit_status, ms.count());
  if (!publish) return;
  containerd::events::TaskExit event;
  event.set_container_id(task->id());
  event.set_id(task->id());
  event.set_pid(exit.pid);
  event.set_exit_status(exit.exit_status);
  ToTimestamp(exit.exited_at, event.mutable_exited_at());
  Publish(task->ns(), "/tasks/exit", event);
}

void TaskManager::RecoverOne(const std::string& ns, const std::string& id) {
  Bundle bundle(TasksRoot(), ns, id);
  if (bundle.MarkedDeleted()) {
    // Deleted, but berthd stopped before the shim had finished: that shim is ended, then the bundle goes.
    if (auto address = bundle.ReadAddress(); address.ok()) {
      if (auto client = ShimClient::Dial(*address, ns); client.ok()) {
        ShutdownShim(**client, ns, id, /*now=*/false, kShimShutdownTimeout);
      }
    }
    absl::Status removed = bundle.Remove();
    if (!removed.ok()) log::Warn("task {}/{}: {}", ns, id, removed.ToString());
    return;
  }
  absl::StatusOr<std::optional<RecordedExit>> recorded = bundle.ReadExit();
  if (recorded.ok() && recorded->has_value()) {
    // Its shim died earlier: the task stays stopped, with its exit, until deleted. A crash may have
    // interrupted that cleanup: run the shim's again if it had not finished, and release the bundle.
    auto binary = bundle.ReadShimBinaryPath();
    auto task = std::make_shared<Task>(bundle, binary.ok() ? *binary : "", "");
    if (binary.ok()) {
      auto cleaned = RunDeleteAction(*task);
      if (!cleaned.ok()) log::Warn("task {}/{}: {}", ns, id, cleaned.status().ToString());
    }
    absl::Status released = bundle.Release();
    if (!released.ok()) log::Error("task {}/{}: {}", ns, id, released.ToString());
    task->RecordExit(**recorded);
    std::lock_guard lock(mu_);
    tasks_[{ns, id}] = task;
    return;
  }
  auto binary = bundle.ReadShimBinaryPath();
  if (!binary.ok()) {
    // Created up to before the shim could start: nothing runs, nothing to report.
    absl::Status removed = bundle.Remove();
    if (!removed.ok()) log::Warn("task {}/{}: {}", ns, id, removed.ToString());
    return;
  }
  auto task = std::make_shared<Task>(bundle, *binary, "");
  absl::Status connected = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string address, bundle.ReadAddress());
    ASSIGN_OR_RETURN(std::unique_ptr<ShimClient> client, ShimClient::Dial(address, ns));
    taskapi::ConnectRequest request;
    request.set_id(id);
    taskapi::ConnectResponse response;
    RETURN_IF_ERROR(client->Call("Connect", request, &response, std::chrono::seconds(2)));
    auto init_pidfd = PidfdOpen(static_cast<pid_t>(response.task_pid()));
    task->Attach(std::move(client), response.task_pid(), init_pidfd.ok() ? *std::move(init_pidfd) : UniqueFd());
    ASSIGN_OR_RETURN(UniqueFd log, bundle.OpenLog());
    ASSIGN_OR_RETURN(task->log_token_, watcher_->DrainLog(std::move(log), fmt::format("shim {}/{}", ns, id)));
    return Watch(task, response.shim_pid());
  }();
  if (connected.ok()) {
    log::Info("task {}/{}: reconnected to its shim", ns, id);
    return;
  }
  {
    std::lock_guard lock(mu_);
    tasks_[{ns, id}] = task;
  }
  OnShimDeath(task, fmt::format("shim gone while berthd was down ({})", std::string(connected.message())), true);
}

void TaskManager::Recover() {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  std::error_code ec;
  for (const auto& ns_dir : std::filesystem::directory_iterator(TasksRoot(), ec)) {
    if (!ns_dir.is_directory() || ns_dir.path().filename().string().starts_with(".")) continue;
    for (const auto& task_dir : std::filesystem::directory_iterator(ns_dir.path(), ec)) {
      std::string id = task_dir.path().filename().string();
      if (id.starts_with(Bundle::kAsidePrefix)) {
        std::error_code removed;
        std::filesystem::remove_all(task_dir.path(), removed);  // a deleted task's bundle, left by a crash
        continue;
      }
      if (!task_dir.is_directory() || id.starts_with(".")) continue;
      // In parallel: each shim gets its own short deadline, so one hung shim does not delay the others.
      workers.emplace_back([this, ns = ns_dir.path().filename().string(), id] { RecoverOne(ns, id); });
    }
  }
  for (auto& w : workers) w.join();
  if (!workers.empty()) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    log::Info("runtime: recovered {} tasks in {} ms", workers.size(), ms.count());
  }
}

absl::Status TaskManager::ServeEvents() {
  std::string path = options_.daemon_address + ".ttrpc";
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, "unlink", path);
  ASSIGN_OR_RETURN(UniqueFd listener, ttrpc::ListenUnix(path));
  if (::chmod(path.c_str(), 0600) != 0) return ErrnoStatus(errno, "chmod", path);
  events_server_ = std::make_unique<ttrpc::Server>(ttrpc::Server::Options{.require_same_uid = true});
  events::Exchange* exchange = options_.exchange;
  stop_reasons_ = std::make_unique<StopReasonRecorder>(TasksRoot());
  events_server_->Register(
      "containerd.services.events.ttrpc.v1.Events", "Forward",
      [exchange, stop_reasons = stop_reasons_.get()](const ttrpc::CallContext& ctx,
                                                     std::string_view payload) -> absl::StatusOr<std::string> {
        containerd::services::events::v1::ForwardRequest request;
        if (!request.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
          return absl::InvalidArgumentError("Forward: unreadable ForwardRequest");
        }
        const auto& e = request.envelope();
        std::string ns = e.namespace_().empty()
                             ? ttrpc::MetadataValue(ctx.metadata, "containerd-namespace-ttrpc")
                             : e.namespace_();
        // Before the event goes out: whoever reacts to a /tasks/exit finds the task's stop reason recorded.
        stop_reasons->Observe(ns, e.topic(), e.event().value());
        RETURN_IF_ERROR(exchange->Forward({.timestamp = FromTimestamp(e.timestamp()),
                                           .ns = ns,
                                           .topic = e.topic(),
                                           .type_url = e.event().type_url(),
                                           .value = e.event().value()}));
        return std::string();
      });
  return events_server_->Serve(std::move(listener));
}

}  // namespace berth::runtime
