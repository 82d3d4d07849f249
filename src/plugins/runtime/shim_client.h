// A typed client of one shim's containerd.task.v2.Task service over ttrpc (runtime/v2/task/shim.proto, generated).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "base/log.h"
#include "fmt/format.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "ttrpc/client.h"

namespace berth::runtime {

// Calls on a live shim are quick except Wait; every other call gets this deadline.
inline constexpr std::chrono::seconds kShimCallTimeout{10};

class ShimClient {
 public:
  // Connects to the shim's socket (a path; "unix://" is stripped).
  static absl::StatusOr<std::unique_ptr<ShimClient>> Dial(const std::string& address, const std::string& ns);

  // One Task method: `Call("State", req, &resp)`. timeout zero = no deadline (Wait).
  absl::Status Call(std::string_view method, const google::protobuf::Message& request,
                    google::protobuf::Message* response, std::chrono::nanoseconds timeout = kShimCallTimeout);

  void Close() { client_->Close(); }

 private:
  ShimClient(std::unique_ptr<ttrpc::Client> client, std::string ns) : client_(std::move(client)), ns_(std::move(ns)) {}

  std::unique_ptr<ttrpc::Client> client_;
  std::string ns_;
};

// A deleted task's shim answers Shutdown once its last runc delete is done (runc's own bound is 30 s).
inline constexpr std::chrono::seconds kShimShutdownTimeout{35};

// Tells the shim of task `id` to go (`now`: even while it still holds its task), through a ShimClient or a Task.
// A shim already gone (Unavailable) is what was wanted; anything else is logged.
template <typename Shim>
void ShutdownShim(Shim& shim, const std::string& ns, const std::string& id, bool now, std::chrono::seconds timeout) {
  containerd::task::v2::ShutdownRequest request;
  request.set_id(id);
  request.set_now(now);
  absl::Status s = shim.Call("Shutdown", request, nullptr, timeout);
  if (!s.ok() && !absl::IsUnavailable(s)) log::Warn("task {}/{}: shim shutdown: {}", ns, id, s.ToString());
}

}  // namespace berth::runtime
