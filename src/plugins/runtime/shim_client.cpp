#include "plugins/runtime/shim_client.h"

#include "base/status.h"
#include "ttrpc/unix_socket.h"

namespace berth::runtime {

absl::StatusOr<std::unique_ptr<ShimClient>> ShimClient::Dial(const std::string& address, const std::string& ns) {
  ASSIGN_OR_RETURN(std::unique_ptr<ttrpc::Client> client, ttrpc::Client::Dial(ttrpc::StripUnixScheme(address)));
  return std::unique_ptr<ShimClient>(new ShimClient(std::move(client), ns));
}

absl::Status ShimClient::Call(std::string_view method, const google::protobuf::Message& request,
                              google::protobuf::Message* response, std::chrono::nanoseconds timeout) {
  // The namespace is harmless to the shims that ignore it and needed by those that do not.
  auto reply = client_->Call("containerd.task.v2.Task", method, request.SerializeAsString(),
                             {.timeout = timeout, .metadata = {{"containerd-namespace-ttrpc", ns_}}});
  if (!reply.ok()) return reply.status();
  if (response != nullptr && !response->ParseFromString(*reply)) {
    return absl::DataLossError(fmt::format("shim: cannot parse the reply to {}", method));
  }
  return absl::OkStatus();
}

}  // namespace berth::runtime
