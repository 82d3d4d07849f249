#include "plugins/runtime/task.h"

#include "fmt/format.h"
#include "plugins/runtime/shim_binary.h"

namespace berth::runtime {

namespace {

void ToTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  int64_t nanos = absl::ToUnixNanos(t);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

}  // namespace

uint32_t Task::pid() const {
  std::lock_guard lock(mu_);
  return pid_;
}

std::shared_ptr<ShimClient> Task::client() const {
  std::lock_guard lock(mu_);
  return client_;
}

std::optional<RecordedExit> Task::recorded_exit() const {
  std::lock_guard lock(mu_);
  return exit_;
}

absl::Status Task::Call(std::string_view method, const google::protobuf::Message& request,
                        google::protobuf::Message* response, std::chrono::nanoseconds timeout) {
  std::shared_ptr<ShimClient> c = client();
  if (c == nullptr) {
    std::optional<RecordedExit> exit = recorded_exit();
    return absl::FailedPreconditionError(fmt::format("task {} is stopped ({}): failed precondition", id(),
                                                     exit ? exit->reason : "its shim is gone"));
  }
  return c->Call(method, request, response, timeout);
}

absl::StatusOr<taskapi::StateResponse> Task::State(const std::string& exec_id) {
  taskapi::StateRequest request;
  request.set_id(id());
  request.set_exec_id(exec_id);
  taskapi::StateResponse response;
  absl::Status s = Call("State", request, &response, std::chrono::seconds(2));
  if (s.ok()) return response;
  std::optional<RecordedExit> exit = recorded_exit();
  if (!exit) return s;
  if (!exec_id.empty()) return absl::NotFoundError(fmt::format("process {} of task {} not found", exec_id, id()));
  response.Clear();
  response.set_id(id());
  response.set_bundle(bundle_.dir());
  response.set_pid(exit->pid);
  response.set_status(containerd::v1::types::STOPPED);
  response.set_exit_status(exit->exit_status);
  ToTimestamp(exit->exited_at, response.mutable_exited_at());
  return response;
}

absl::StatusOr<taskapi::WaitResponse> Task::Wait(const std::string& exec_id, const std::function<bool()>& cancelled) {
  // Only our shim ends a Wait at its deadline; containerd's runc shim ignores it and would keep one goroutine
  // per slice until the process exits, so other shims are asked once, without one (as containerd does).
  const std::chrono::nanoseconds slice = IsBerthShim(shim_binary()) ? std::chrono::seconds(2) : std::chrono::seconds(0);
  taskapi::WaitRequest request;
  request.set_id(id());
  request.set_exec_id(exec_id);
  taskapi::WaitResponse response;
  absl::Status s;
  while (absl::IsDeadlineExceeded(s = Call("Wait", request, &response, slice))) {
    if (cancelled()) return absl::CancelledError(fmt::format("wait for {}: the caller went away", id()));
  }
  if (s.ok() || !exec_id.empty()) return s.ok() ? absl::StatusOr<taskapi::WaitResponse>(response) : s;
  if (!absl::IsUnavailable(s) && !absl::IsFailedPrecondition(s)) return s;
  // The shim went away during the wait: its cleanup records the exit within seconds.
  std::unique_lock lock(mu_);
  if (!exited_cv_.wait_for(lock, std::chrono::seconds(15), [&] { return exit_.has_value(); })) return s;
  response.set_exit_status(exit_->exit_status);
  ToTimestamp(exit_->exited_at, response.mutable_exited_at());
  return response;
}

void Task::Attach(std::unique_ptr<ShimClient> client, uint32_t pid, UniqueFd init_pidfd) {
  std::lock_guard lock(mu_);
  client_ = std::move(client);
  pid_ = pid;
  init_pidfd_ = std::move(init_pidfd);
}

void Task::Detach() {
  std::shared_ptr<ShimClient> c;
  {
    std::lock_guard lock(mu_);
    c = std::move(client_);
  }
  if (c) c->Close();
}

void Task::RecordExit(RecordedExit exit) {
  std::lock_guard lock(mu_);
  exit_ = std::move(exit);
  pid_ = exit_->pid;
  exited_cv_.notify_all();
}

}  // namespace berth::runtime
