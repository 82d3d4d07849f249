// Task lifecycle: Create, Start, Exec, Wait, Kill, Delete, State, Connect, Shutdown.
// (Pause, Resume, Pids, Stats, Update, ResizePty, CloseIO and the method table are in task_service_ops.cpp.)
#include "shim/task_service.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/scope_guard.h"
#include "base/atomic_file.h"
#include "base/status.h"
#include "shim/console_socket.h"
#include "shim/events.h"
#include "shim/rootfs.h"

namespace berth::shim {
namespace {

constexpr auto kConsoleTimeout = std::chrono::seconds(10);

}  // namespace

std::string RuncRootForBundle(const std::string& bundle) { return bundle + "/runc"; }

TaskService::TaskService(std::string ns, Reaper* reaper, Publisher* publisher, std::function<void()> request_shutdown)
    : ns_(std::move(ns)), reaper_(reaper), publisher_(publisher), request_shutdown_(std::move(request_shutdown)) {}

absl::StatusOr<std::shared_ptr<Process>> TaskService::Find(const std::string& id, const std::string& exec_id) {
  std::lock_guard lock(mu_);
  if (init_ == nullptr || id != id_) {
    return absl::NotFoundError(fmt::format("container {} not created: not found", id));
  }
  if (exec_id.empty()) return init_;
  auto it = execs_.find(exec_id);
  if (it == execs_.end()) return absl::NotFoundError(fmt::format("process {} of container {}: not found", exec_id, id));
  return it->second;
}

absl::StatusOr<pid_t> TaskService::Launch(
    const std::shared_ptr<Process>& process,
    const std::function<absl::Status(const std::string& console, const ProcessFds&)>& run,
    const std::string& pid_file) {
  ASSIGN_OR_RETURN(std::unique_ptr<ProcessIo> opened, ProcessIo::Open(process->stdio()));
  process->SetIo(std::move(opened));
  ProcessIo* io = process->io();
  // A process that never started closes our ends of its FIFOs, so the client reading them sees EOF (ctr waits
  // for that before it reports the failed start) instead of hanging.
  ScopeGuard drop_io([&] { process->SetIo(nullptr); });
  std::unique_ptr<ConsoleSocket> console;
  if (process->stdio().terminal) {
    ASSIGN_OR_RETURN(console, ConsoleSocket::Create());
  }
  ::unlink(pid_file.c_str());
  RETURN_IF_ERROR(run(console ? console->path() : "", io->fds()));
  if (console) {
    ASSIGN_OR_RETURN(UniqueFd master, console->ReceiveMaster(kConsoleTimeout));
    RETURN_IF_ERROR(io->AttachConsole(std::move(master)));
  }
  io->ReleaseProcessSide();
  ASSIGN_OR_RETURN(pid_t pid, ReadPidFile(pid_file));
  RETURN_IF_ERROR(process->MarkCreated(pid));
  drop_io.Dismiss();
  // Watched only now, but no exit is lost: one that came first waits in the reaper's unclaimed table.
  reaper_->Watch(pid, [this, process](int status) { OnExit(process, status); });
  return pid;
}

void TaskService::OnExit(const std::shared_ptr<Process>& process, int wait_status) {
  Timestamp at = Timestamp::Now();
  // While its create/start is being published the exit waits; EndStart reports it after.
  if (process->HoldExit(wait_status, at)) return;
  ReportExit(process, wait_status, at);
}

void TaskService::EndStart(const std::shared_ptr<Process>& process) {
  if (auto held = process->EndStart()) ReportExit(process, held->wait_status, held->at);
}

void TaskService::ReportExit(const std::shared_ptr<Process>& process, int wait_status, Timestamp at) {
  // A terminal's last output is copied before the exit is reported, so clients see all of it.
  if (ProcessIo* io = process->io(); io != nullptr && process->stdio().terminal) {
    io->WaitOutput(std::chrono::seconds(2));
  }
  uint32_t code = ExitStatusFromWaitStatus(wait_status);
  if (!process->MarkExited(code, at)) return;
  std::string id;
  {
    std::lock_guard lock(mu_);
    id = id_;
  }
  log::Info("process {} (pid {}) of {} exited with status {}", process->name(), process->pid(), id, code);
  publisher_->Publish(TaskExitEvent(id, process->name(), static_cast<uint32_t>(process->pid()), code, at));
  if (process->is_init()) BeginCleanupAtExit();
}

void TaskService::BeginCleanupAtExit() {
  // A stopped container's runc state, cgroup and rootfs mount are of no more use (runc ps/exec/update/stats on it
  // fail either way), and leftover processes (no pid namespace of its own) are killed now, as containerd's shim
  // kills them at the init's exit. Done while the client learns of the exit: Delete waits only for the unmount
  // (the client removes the snapshot next), Shutdown for runc too (the bundle holds runc's state).
  std::lock_guard lock(mu_);
  if (runc_ == nullptr || delete_begun_ || runc_deleted_.valid()) return;
  runc_deleted_ =
      std::async(std::launch::async, [runc = runc_.get(), id = id_] { return runc->DeleteInBackground(id); });
  unmounted_ = std::async(std::launch::async, [rootfs = bundle_ + "/rootfs"] { return UnmountAll(rootfs); });
}

absl::Status TaskService::CleanUpContainer(const std::string& id, bool force) {
  std::future<absl::Status> unmounted;
  std::string rootfs;
  {
    std::lock_guard lock(mu_);
    delete_begun_ = true;  // no cleanup at exit starts after this
    unmounted = std::move(unmounted_);
    rootfs = bundle_ + "/rootfs";
  }
  if (!unmounted.valid()) {
    RETURN_IF_ERROR(runc_->Delete(id, force));
    return UnmountAll(rootfs);
  }
  if (absl::Status s = unmounted.get(); !s.ok()) {
    log::Warn("container {}: unmount at exit: {}; trying again", id, s.ToString());
    return UnmountAll(rootfs);
  }
  return absl::OkStatus();
}

absl::Status TaskService::FinishRuncDelete() {
  std::future<absl::Status> deleted;
  std::string id;
  {
    std::lock_guard lock(mu_);
    deleted = std::move(runc_deleted_);
    id = id_;
  }
  if (!deleted.valid()) return absl::OkStatus();
  absl::Status s = deleted.get();
  if (s.ok()) return s;
  log::Warn("container {}: runc delete at exit: {}; trying again", id, s.ToString());
  return runc_->Delete(id, /*force=*/true);
}

absl::StatusOr<std::string> TaskService::Create(const ttrpc::CallContext&, std::string_view payload) {
  ASSIGN_OR_RETURN(CreateTaskRequest req, CreateTaskRequest::Decode(payload));
  if (!req.checkpoint.empty()) return absl::UnimplementedError("restoring from a checkpoint is not supported");
  std::lock_guard create_lock(create_mu_);
  {
    std::lock_guard lock(mu_);
    if (init_ != nullptr || deleted_) {
      return absl::AlreadyExistsError(fmt::format("container {}: this shim already serves container {}", req.id, id_));
    }
  }
  std::string rootfs = req.bundle + "/rootfs";
  if (!req.rootfs.empty()) {
    ::mkdir(rootfs.c_str(), 0711);
    RETURN_IF_ERROR(WithContext(MountAll(req.rootfs, rootfs), fmt::format("rootfs of container {}", req.id)));
  }
  ScopeGuard unmount([&] { IgnoreError(UnmountAll(rootfs), "undoing a failed create"); });
  auto runc = std::make_unique<Runc>(reaper_, RuncRootForBundle(req.bundle), req.bundle + "/log.json");
  auto process = std::make_shared<Process>(req.id, "", req.stdio);
  // An exit before /tasks/create is published is held until then (the process starts out holding exits).
  ScopeGuard end_start([&] { EndStart(process); });
  std::string pid_file = req.bundle + "/init.pid";
  auto pid = Launch(
      process,
      [&](const std::string& console, const ProcessFds& fds) {
        return runc->Create(req.id, req.bundle, pid_file, console, fds);
      },
      pid_file);
  if (!pid.ok()) {
    IgnoreError(runc->Delete(req.id, /*force=*/true), "cleaning up a failed create");
    return WithContext(pid.status(), fmt::format("create container {}", req.id));
  }
  unmount.Dismiss();
  auto oom = OomWatcher::Start(*pid, [this, id = req.id] { publisher_->Publish(TaskOomEvent(id)); });
  if (!oom.ok()) log::Warn("container {}: no OOM events: {}", req.id, oom.status().ToString());
  {
    std::lock_guard lock(mu_);
    id_ = req.id;
    bundle_ = req.bundle;
    runc_ = std::move(runc);
    init_ = process;
    rootfs_ = req.rootfs;
    if (oom.ok()) oom_ = std::move(*oom);
  }
  log::Info("created container {} (pid {})", req.id, *pid);
  publisher_->Publish(TaskCreateEvent(req.id, req.bundle, req.rootfs, req.stdio, static_cast<uint32_t>(*pid)));
  return EncodePidResponse(static_cast<uint32_t>(*pid));
}

absl::StatusOr<std::string> TaskService::Start(const ttrpc::CallContext&, std::string_view payload) {
  ASSIGN_OR_RETURN(ProcessRequest req, ProcessRequest::Decode(payload));
  ASSIGN_OR_RETURN(auto process, Find(req.id, req.exec_id));
  // The process's exit, if it comes before the start is published, is reported after it (on every path).
  RETURN_IF_ERROR(process->BeginStart());
  ScopeGuard end_start([&] { EndStart(process); });
  if (!process->is_init()) {
    RETURN_IF_ERROR(StartExec(process));
    publisher_->Publish(TaskExecStartedEvent(req.id, req.exec_id, static_cast<uint32_t>(process->pid())));
    return EncodePidResponse(static_cast<uint32_t>(process->pid()));
  }
  if (process->status() != TaskStatus::kCreated) {
    return absl::FailedPreconditionError(fmt::format("container {} is not in the created state", req.id));
  }
  RETURN_IF_ERROR(WithContext(runc_->Start(req.id, process->pid()), fmt::format("start container {}", req.id)));
  RETURN_IF_ERROR(process->MarkStarted());
  publisher_->Publish(TaskStartEvent(req.id, static_cast<uint32_t>(process->pid())));
  return EncodePidResponse(static_cast<uint32_t>(process->pid()));
}

absl::Status TaskService::StartExec(const std::shared_ptr<Process>& process) {
  if (process->status() != TaskStatus::kUnknown) {
    return absl::FailedPreconditionError(fmt::format("exec {} was already started", process->exec_id()));
  }
  std::string id, bundle;
  std::shared_ptr<Process> init;
  {
    std::lock_guard lock(mu_);
    id = id_;
    bundle = bundle_;
    init = init_;
  }
  if (init == nullptr || init->exited()) return absl::FailedPreconditionError(fmt::format("container {} is not running", id));
  std::string spec_file = fmt::format("{}/exec-{}.json", bundle, process->exec_id());
  std::string pid_file = fmt::format("{}/exec-{}.pid", bundle, process->exec_id());
  RETURN_IF_ERROR(WriteFileAtomically(spec_file, process->exec_spec_json, 0600));
  ScopeGuard remove_files([&] {
    ::unlink(spec_file.c_str());
    ::unlink(pid_file.c_str());
  });
  auto pid = Launch(
      process,
      [&](const std::string& console, const ProcessFds& fds) {
        return runc_->Exec(id, spec_file, pid_file, console, fds);
      },
      pid_file);
  if (!pid.ok()) {
    // Its waiters (ctr waits before it starts an exec) return now, with containerd's "unknown" status; there is
    // no /tasks/exit for a process that never ran.
    process->MarkExited(kUnknownExitStatus, Timestamp::Now());
    return WithContext(pid.status(), fmt::format("exec {} in container {}", process->exec_id(), id));
  }
  return process->MarkStarted();
}

absl::StatusOr<std::string> TaskService::Exec(const ttrpc::CallContext&, std::string_view payload) {
  ASSIGN_OR_RETURN(ExecProcessRequest req, ExecProcessRequest::Decode(payload));
  // The exec id names files in the bundle (its spec and pid file), so it must be a plain name.
  if (req.exec_id.empty() || req.exec_id.find('/') != std::string::npos || req.exec_id == "." ||
      req.exec_id == ".." || req.exec_id.size() > 76) {
    return absl::InvalidArgumentError(fmt::format("exec id \"{}\" is not a valid identifier", req.exec_id));
  }
  std::lock_guard lock(mu_);
  if (init_ == nullptr || req.id != id_) return absl::NotFoundError(fmt::format("container {} not created: not found", req.id));
  if (init_->exited()) return absl::FailedPreconditionError(fmt::format("container {} is not running", req.id));
  if (execs_.count(req.exec_id) != 0) {
    return absl::AlreadyExistsError(fmt::format("exec {} of container {}: already exists", req.exec_id, req.id));
  }
  auto process = std::make_shared<Process>(req.id, req.exec_id, req.stdio);
  process->exec_spec_json = req.spec.value;
  execs_[req.exec_id] = process;
  publisher_->Publish(TaskExecAddedEvent(req.id, req.exec_id));
  return std::string();
}

absl::StatusOr<std::string> TaskService::Wait(const ttrpc::CallContext& ctx, std::string_view payload) {
  ASSIGN_OR_RETURN(ProcessRequest req, ProcessRequest::Decode(payload));
  ASSIGN_OR_RETURN(auto process, Find(req.id, req.exec_id));
  RETURN_IF_ERROR(process->Wait(ctx.deadline));
  return EncodeWaitResponse(process->exit_status(), process->exited_at());
}

absl::StatusOr<std::string> TaskService::Kill(const ttrpc::CallContext&, std::string_view payload) {
  ASSIGN_OR_RETURN(KillRequest req, KillRequest::Decode(payload));
  ASSIGN_OR_RETURN(auto process, Find(req.id, req.exec_id));
  if (process->is_init()) {
    if (process->exited() && !req.all) {
      return absl::NotFoundError(fmt::format("container {}: process already finished: not found", req.id));
    }
    RETURN_IF_ERROR(WithContext(runc_->Kill(req.id, static_cast<int>(req.signal), req.all),
                                fmt::format("kill container {}", req.id)));
    return std::string();
  }
  if (process->pid() <= 0 || process->exited()) {
    return absl::NotFoundError(fmt::format("exec {}: process already finished: not found", req.exec_id));
  }
  if (::kill(process->pid(), static_cast<int>(req.signal)) != 0) {
    return ErrnoStatus(errno, fmt::format("signal {} to", req.signal), fmt::format("exec {}", req.exec_id));
  }
  return std::string();
}

absl::StatusOr<std::string> TaskService::Delete(const ttrpc::CallContext&, std::string_view payload) {
  ASSIGN_OR_RETURN(ProcessRequest req, ProcessRequest::Decode(payload));
  ASSIGN_OR_RETURN(auto process, Find(req.id, req.exec_id));
  TaskStatus status = process->status();
  if (status != TaskStatus::kStopped && status != TaskStatus::kCreated && status != TaskStatus::kUnknown) {
    return absl::FailedPreconditionError(
        fmt::format("cannot delete process {} of container {}: it is still running", process->name(), req.id));
  }
  DeleteResponse resp{.pid = static_cast<uint32_t>(process->pid()), .exit_status = process->exit_status(),
                      .exited_at = process->exited_at()};
  if (!process->is_init()) {
    std::lock_guard lock(mu_);
    execs_.erase(req.exec_id);
    return resp.Encode();  // containerd's shims publish nothing for an exec's delete
  }
  std::lock_guard create_lock(create_mu_);
  // A created-but-never-started container is still alive in runc: --force kills it.
  RETURN_IF_ERROR(WithContext(CleanUpContainer(req.id, /*force=*/status != TaskStatus::kStopped),
                              fmt::format("delete container {}", req.id)));
  if (status != TaskStatus::kStopped) {
    // Report the kill as the exit, as containerd's runc shim does for an unstarted container.
    process->MarkExited(137, Timestamp::Now());
    resp.exit_status = process->exit_status();
    resp.exited_at = process->exited_at();
  }
  std::unique_ptr<OomWatcher> oom;
  {
    std::lock_guard lock(mu_);
    init_.reset();
    execs_.clear();
    deleted_ = true;
    oom = std::move(oom_);
  }
  oom.reset();  // joins its thread, outside the lock
  log::Info("deleted container {}", req.id);
  publisher_->Publish(TaskDeleteEvent(req.id, resp.pid, resp.exit_status, resp.exited_at));
  return resp.Encode();
}

absl::StatusOr<std::string> TaskService::State(const ttrpc::CallContext&, std::string_view payload) {
  ASSIGN_OR_RETURN(ProcessRequest req, ProcessRequest::Decode(payload));
  ASSIGN_OR_RETURN(auto process, Find(req.id, req.exec_id));
  StateResponse resp = process->State();
  resp.id = req.id;
  {
    std::lock_guard lock(mu_);
    resp.bundle = bundle_;
  }
  return resp.Encode();
}

absl::StatusOr<std::string> TaskService::Connect(const ttrpc::CallContext&, std::string_view payload) {
  ASSIGN_OR_RETURN(ProcessRequest req, ProcessRequest::Decode(payload));
  std::lock_guard lock(mu_);
  uint32_t task_pid = init_ != nullptr ? static_cast<uint32_t>(init_->pid()) : 0;
  return EncodeConnectResponse(static_cast<uint32_t>(::getpid()), task_pid);
}

absl::StatusOr<std::string> TaskService::Shutdown(const ttrpc::CallContext&, std::string_view payload) {
  ASSIGN_OR_RETURN(ShutdownRequest req, ShutdownRequest::Decode(payload));
  {
    std::lock_guard lock(mu_);
    // A shim that still holds a container stays (containerd asks again after Delete), unless told `now`.
    if (init_ != nullptr && !req.now) return std::string();
  }
  // The runc delete begun at the init's exit ends first: whoever removes the bundle next removes runc's state.
  if (absl::Status s = FinishRuncDelete(); !s.ok()) log::Error("shutdown: {}", s.ToString());
  request_shutdown_();
  return std::string();
}

void TaskService::Abort() {
  std::lock_guard lock(mu_);
  if (init_ != nullptr) init_->Abort();
  for (auto& [id, p] : execs_) p->Abort();
}

}  // namespace berth::shim
