// tasks.v1.Tasks over the runtime's TaskManager: each call translates tasks.v1 messages into the shim's
// containerd.task.v2 ones and back. Checkpoint answers Unimplemented.
#pragma once

#include "core/containers/containers.h"
#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"
#include "plugins/runtime/task_manager.h"

namespace berth::services {

namespace tasksapi = containerd::services::tasks::v1;

class TasksService final : public tasksapi::Tasks::Service {
 public:
  TasksService(containers::Store* containers, runtime::TaskManager* tasks) : containers_(containers), tasks_(tasks) {}

  grpc::Status Create(grpc::ServerContext*, const tasksapi::CreateTaskRequest*, tasksapi::CreateTaskResponse*) override;
  grpc::Status Start(grpc::ServerContext*, const tasksapi::StartRequest*, tasksapi::StartResponse*) override;
  grpc::Status Delete(grpc::ServerContext*, const tasksapi::DeleteTaskRequest*, tasksapi::DeleteResponse*) override;
  grpc::Status DeleteProcess(grpc::ServerContext*, const tasksapi::DeleteProcessRequest*,
                             tasksapi::DeleteResponse*) override;
  grpc::Status Get(grpc::ServerContext*, const tasksapi::GetRequest*, tasksapi::GetResponse*) override;
  grpc::Status List(grpc::ServerContext*, const tasksapi::ListTasksRequest*, tasksapi::ListTasksResponse*) override;
  grpc::Status Kill(grpc::ServerContext*, const tasksapi::KillRequest*, google::protobuf::Empty*) override;
  grpc::Status Exec(grpc::ServerContext*, const tasksapi::ExecProcessRequest*, google::protobuf::Empty*) override;
  grpc::Status ResizePty(grpc::ServerContext*, const tasksapi::ResizePtyRequest*, google::protobuf::Empty*) override;
  grpc::Status CloseIO(grpc::ServerContext*, const tasksapi::CloseIORequest*, google::protobuf::Empty*) override;
  grpc::Status Pause(grpc::ServerContext*, const tasksapi::PauseTaskRequest*, google::protobuf::Empty*) override;
  grpc::Status Resume(grpc::ServerContext*, const tasksapi::ResumeTaskRequest*, google::protobuf::Empty*) override;
  grpc::Status ListPids(grpc::ServerContext*, const tasksapi::ListPidsRequest*, tasksapi::ListPidsResponse*) override;
  grpc::Status Checkpoint(grpc::ServerContext*, const tasksapi::CheckpointTaskRequest*,
                          tasksapi::CheckpointTaskResponse*) override;
  grpc::Status Update(grpc::ServerContext*, const tasksapi::UpdateTaskRequest*, google::protobuf::Empty*) override;
  grpc::Status Metrics(grpc::ServerContext*, const tasksapi::MetricsRequest*, tasksapi::MetricsResponse*) override;
  grpc::Status Wait(grpc::ServerContext*, const tasksapi::WaitRequest*, tasksapi::WaitResponse*) override;

 private:
  // The task of the call's namespace and container id, or the gRPC error to return.
  absl::StatusOr<std::shared_ptr<runtime::Task>> Lookup(grpc::ServerContext* sc, const std::string& id);

  containers::Store* containers_;
  runtime::TaskManager* tasks_;
};

}  // namespace berth::services
