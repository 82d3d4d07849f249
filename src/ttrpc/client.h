// A ttrpc client over one unix socket connection: calls are multiplexed (odd stream ids 1, 3, 5, ...), so
// several threads may call at once; a reader thread hands each response to its caller.
//
//   ASSIGN_OR_RETURN(auto client, Client::Dial("/run/containerd/containerd.sock.ttrpc"));
//   auto reply = client->Call("containerd.services.events.ttrpc.v1.Events", "Forward", payload,
//                             {.timeout = std::chrono::seconds(5), .metadata = {{"containerd-namespace-ttrpc", ns}}});
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "ttrpc/messages.h"

namespace berth::ttrpc {

struct CallOptions {
  // Sent as timeout_nano and enforced here (DeadlineExceeded); zero means wait until the reply or the
  // connection closes.
  std::chrono::nanoseconds timeout{0};
  Metadata metadata;
};

class Client {
 public:
  static absl::StatusOr<std::unique_ptr<Client>> Dial(const std::string& path);
  explicit Client(UniqueFd fd);  // takes a connected socket
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // Returns the response payload, the server's status, or Unavailable if the connection is gone.
  absl::StatusOr<std::string> Call(std::string_view service, std::string_view method, std::string_view payload,
                                   const CallOptions& options = {});

  // Fails pending and later calls with Unavailable; joins the reader.
  void Close();
  bool closed();

 private:
  struct Pending {
    bool done = false;
    absl::StatusOr<Response> result;
  };

  void ReadLoop();

  UniqueFd fd_;
  std::thread reader_;
  std::mutex write_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint32_t next_stream_id_ = 1;
  bool closed_ = false;
  std::map<uint32_t, std::shared_ptr<Pending>> pending_;
};

}  // namespace berth::ttrpc
