// The Task methods around a running container: Pause, Resume, Pids, Stats, Update, ResizePty, CloseIO, and the
// method table that binds every Task method to the ttrpc server.
#include <fcntl.h>
#include <unistd.h>

#include "base/status.h"
#include "shim/events.h"
#include "shim/stats.h"
#include "shim/stats_v2.h"
#include "shim/task_service.h"

namespace berth::shim {

absl::StatusOr<std::string> TaskService::Pause(const ttrpc::CallContext&, std::string_view payload) {
  ASSIGN_OR_RETURN(ProcessRequest req, ProcessRequest::Decode(payload));
  ASSIGN_OR_RETURN(auto init, Find(req.id, ""));
  if (init->status() != TaskStatus::kRunning) {
    return absl::FailedPreconditionError(fmt::format("cannot pause container {}: it is not running", req.id));
  }
  RETURN_IF_ERROR(WithContext(runc_->Pause(req.id), fmt::format("pause container {}", req.id)));
  RETURN_IF_ERROR(init->MarkPaused(true));
  publisher_->Publish(TaskPausedEvent(req.id));
  return std::string();
}

absl::StatusOr<std::string> TaskService::Resume(const ttrpc::CallContext&, std::string_view payload) {
  ASSIGN_OR_RETURN(ProcessRequest req, ProcessRequest::Decode(payload));
  ASSIGN_OR_RETURN(auto init, Find(req.id, ""));
  if (init->status() != TaskStatus::kPaused) {
    return absl::FailedPreconditionError(fmt::format("cannot resume container {}: it is not paused", req.id));
  }
  RETURN_IF_ERROR(WithContext(runc_->Resume(req.id), fmt::format("resume container {}", req.id)));
  RETURN_IF_ERROR(init->MarkPaused(false));
  publisher_->Publish(TaskResumedEvent(req.id));
  return std::string();
}

absl::StatusOr<std::string> TaskService::Pids(const ttrpc::CallContext&, std::string_view payload) {
  ASSIGN_OR_RETURN(ProcessRequest req, ProcessRequest::Decode(payload));
  ASSIGN_OR_RETURN(auto init, Find(req.id, ""));
  ASSIGN_OR_RETURN(std::vector<pid_t> pids, runc_->Ps(req.id));
  std::vector<ProcessInfo> infos;
  std::lock_guard lock(mu_);
  for (pid_t pid : pids) {
    ProcessInfo info{.pid = static_cast<uint32_t>(pid)};
    for (const auto& [exec_id, p] : execs_) {
      if (p->pid() == pid) info.exec_id = exec_id;
    }
    infos.push_back(info);
  }
  return EncodePidsResponse(infos);
}

absl::StatusOr<std::string> TaskService::Stats(const ttrpc::CallContext&, std::string_view payload) {
  ASSIGN_OR_RETURN(ProcessRequest req, ProcessRequest::Decode(payload));
  ASSIGN_OR_RETURN(auto init, Find(req.id, ""));
  ASSIGN_OR_RETURN(std::string json, runc_->Stats(req.id));
  static const bool v2 = CgroupV2Host();
  ASSIGN_OR_RETURN(Any metrics, v2 ? MetricsV2FromRuncStats(json, ReadMemoryEvents(init->pid()))
                                   : MetricsFromRuncStats(json));
  return EncodeStatsResponse(metrics);
}

absl::StatusOr<std::string> TaskService::Update(const ttrpc::CallContext&, std::string_view payload) {
  ASSIGN_OR_RETURN(UpdateTaskRequest req, UpdateTaskRequest::Decode(payload));
  ASSIGN_OR_RETURN(auto init, Find(req.id, ""));
  if (req.resources.value.empty()) return std::string();
  std::string bundle;
  {
    std::lock_guard lock(mu_);
    bundle = bundle_;
  }
  // runc reads the OCI LinuxResources JSON (what the Any carries) from a file.
  std::string path = bundle + "/update-resources.json";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoStatus(errno, "create", path);
  const std::string& data = req.resources.value;
  if (::write(fd.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
    return ErrnoStatus(errno, "write", path);
  }
  fd.Reset();
  absl::Status s = runc_->Update(req.id, path);
  ::unlink(path.c_str());
  RETURN_IF_ERROR(WithContext(s, fmt::format("update container {}", req.id)));
  return std::string();
}

absl::StatusOr<std::string> TaskService::ResizePty(const ttrpc::CallContext&, std::string_view payload) {
  ASSIGN_OR_RETURN(ResizePtyRequest req, ResizePtyRequest::Decode(payload));
  ASSIGN_OR_RETURN(auto process, Find(req.id, req.exec_id));
  ProcessIo* io = process->io();
  if (io == nullptr) return absl::FailedPreconditionError(fmt::format("process {} has no io", process->name()));
  RETURN_IF_ERROR(io->Resize(req.width, req.height));
  return std::string();
}

absl::StatusOr<std::string> TaskService::CloseIO(const ttrpc::CallContext&, std::string_view payload) {
  ASSIGN_OR_RETURN(CloseIORequest req, CloseIORequest::Decode(payload));
  ASSIGN_OR_RETURN(auto process, Find(req.id, req.exec_id));
  if (req.stdin) process->CloseStdin();
  return std::string();
}

void TaskService::RegisterWith(ttrpc::Server& server) {
  using Handler = absl::StatusOr<std::string> (TaskService::*)(const ttrpc::CallContext&, std::string_view);
  const std::pair<const char*, Handler> methods[] = {
      {"Create", &TaskService::Create},   {"Start", &TaskService::Start},         {"Delete", &TaskService::Delete},
      {"Exec", &TaskService::Exec},       {"State", &TaskService::State},         {"Pids", &TaskService::Pids},
      {"Kill", &TaskService::Kill},       {"ResizePty", &TaskService::ResizePty}, {"CloseIO", &TaskService::CloseIO},
      {"Pause", &TaskService::Pause},     {"Resume", &TaskService::Resume},       {"Update", &TaskService::Update},
      {"Wait", &TaskService::Wait},       {"Stats", &TaskService::Stats},         {"Connect", &TaskService::Connect},
      {"Shutdown", &TaskService::Shutdown}};
  for (const auto& [name, handler] : methods) {
    server.Register(kTaskService, name, [this, handler](const ttrpc::CallContext& ctx, std::string_view payload) {
      return (this->*handler)(ctx, payload);
    });
  }
  server.Register(kTaskService, "Checkpoint", [](const ttrpc::CallContext&, std::string_view) {
    return absl::StatusOr<std::string>(absl::UnimplementedError("checkpoint is not supported by the berth shim"));
  });
}

}  // namespace berth::shim
