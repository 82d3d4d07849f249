// berth.services.tasks.v1.TaskStatus: each task's state and stop reason, for `berth ps` (berth's own service;
// containerd's tasks.v1 answers stay exactly containerd's).
#pragma once

#include "berth/services/tasks/v1/task_status.grpc.pb.h"
#include "plugins/runtime/task_manager.h"

namespace berth::services {

class TaskStatusService final : public berth::services::tasks::v1::TaskStatus::Service {
 public:
  explicit TaskStatusService(runtime::TaskManager* tasks) : tasks_(tasks) {}

  grpc::Status List(grpc::ServerContext*, const berth::services::tasks::v1::ListTaskStatusRequest* req,
                    berth::services::tasks::v1::ListTaskStatusResponse* resp) override;

 private:
  runtime::TaskManager* tasks_;
};

}  // namespace berth::services
