// A ttrpc server on a listening unix socket.
//
// Threads: one accept thread, one reader per connection, one handler thread per request while it runs, so a
// blocking handler (Task.Wait) does not hold up others on the same connection. Handler threads are reused (one
// left idle takes the next request; it ends after 10 s without one): starting a thread per call cost more than
// most calls. Responses on a connection are
// written under that connection's lock, in completion order (the stream id pairs them with requests).
//
//   Server server;
//   server.Register("containerd.task.v2.Task", "State", [&](const CallContext& ctx, std::string_view in) {...});
//   RETURN_IF_ERROR(server.Serve(std::move(listener)));
//   ...
//   server.Shutdown();  // handlers must return promptly after it (it waits for them)
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "ttrpc/messages.h"

namespace berth::ttrpc {

struct CallContext {
  const Metadata& metadata;
  // From the request's timeout_nano; unset when the caller gave no deadline.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// Returns the encoded response message, or an error status sent back as google.rpc.Status.
using Method = std::function<absl::StatusOr<std::string>(const CallContext&, std::string_view payload)>;

class Server {
 public:
  struct Options {
    // Refuse connections whose peer (SO_PEERCRED) is not our effective uid, as containerd's shims do.
    bool require_same_uid = false;
  };

  Server() : Server(Options{}) {}
  explicit Server(Options options) : options_(options) {}
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  // Before Serve only.
  void Register(const std::string& service, const std::string& method, Method handler);

  // Starts accepting on `listener` (already bound and listening) and returns.
  absl::Status Serve(UniqueFd listener);

  // Stops accepting, closes every connection and waits for running handlers to return. Idempotent.
  void Shutdown();

  // True once no request is being handled or written (bounded wait).
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  struct Connection;

  void AcceptLoop();
  void ReadLoop(std::shared_ptr<Connection> conn);
  void Dispatch(std::shared_ptr<Connection> conn, uint32_t stream_id, Request request);
  // A request handler thread: runs queued requests, waits for more while idle, ends after a while without any.
  void HandlerLoop();
  static void Reply(Connection& conn, uint32_t stream_id, const Response& response);
  void ThreadDone();

  Options options_;
  std::map<std::string, Method> methods_;  // "service/method"
  UniqueFd listener_;
  std::thread accept_thread_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool shutting_down_ = false;
  int running_threads_ = 0;  // connection readers and request handlers
  int requests_in_flight_ = 0;
  std::deque<std::function<void()>> jobs_;  // requests waiting for their handler thread
  int idle_handlers_ = 0;                   // handler threads waiting for a request
  int starting_handlers_ = 0;               // handler threads started, not yet looking for one
  std::condition_variable jobs_cv_;
  static constexpr std::chrono::seconds kHandlerIdleTimeout{10};
  std::vector<std::weak_ptr<Connection>> connections_;
};

}  // namespace berth::ttrpc
