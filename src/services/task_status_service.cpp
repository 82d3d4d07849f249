#include "services/task_status_service.h"

#include "plugins/runtime/task_status.h"
#include "services/convert.h"

namespace berth::services {

namespace api = berth::services::tasks::v1;

namespace {

void ToProto(const runtime::TaskStatusInfo& info, api::TaskStatusEntry* out) {
  out->set_container_id(info.container_id);
  out->set_pid(info.pid);
  out->set_status(info.status);
  out->set_exit_code(info.exit_code);
  if (info.exited_at != absl::InfinitePast()) services::ToProto(info.exited_at, out->mutable_exited_at());
  out->set_reason(info.reason);
  out->set_detail(info.detail);
  if (info.started_at != absl::InfinitePast()) services::ToProto(info.started_at, out->mutable_started_at());
}

}  // namespace

grpc::Status TaskStatusService::List(grpc::ServerContext* sc, const api::ListTaskStatusRequest* req,
                                     api::ListTaskStatusResponse* resp) {
  auto ctx = NamespacedContextFrom(*sc);
  if (!ctx.ok()) return ToGrpc(ctx.status());
  if (!req->container_id().empty()) {
    auto task = tasks_->Get(ctx->ns, req->container_id());
    if (!task.ok()) return ToGrpc(task.status());
    ToProto(runtime::DescribeTask(**task), resp->add_tasks());
    return grpc::Status::OK;
  }
  for (const auto& task : tasks_->List(ctx->ns)) ToProto(runtime::DescribeTask(*task), resp->add_tasks());
  return grpc::Status::OK;
}

}  // namespace berth::services
