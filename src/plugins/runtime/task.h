// One task (a container's running init process and its execs) as berthd sees it: a live shim behind a ttrpc
// client, or — once the shim is gone — a recorded exit (bundle/exit.json) until the client deletes the task.
// Lifecycle: kLive → (shim dies) kDead → (Delete) removed; kLive → (Delete) removed. Thread-safe.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "plugins/runtime/bundle.h"
#include "plugins/runtime/shim_client.h"

namespace berth::runtime {

namespace taskapi = containerd::task::v2;

class Task {
 public:
  Task(Bundle bundle, std::string shim_binary, std::string runtime)
      : bundle_(std::move(bundle)), shim_binary_(std::move(shim_binary)), runtime_(std::move(runtime)) {}

  const std::string& ns() const { return bundle_.ns(); }
  const std::string& id() const { return bundle_.id(); }
  const Bundle& bundle() const { return bundle_; }
  const std::string& shim_binary() const { return shim_binary_; }
  const std::string& runtime() const { return runtime_; }
  uint32_t pid() const;

  // A Task method on the live shim. FailedPrecondition when the shim is gone (the task is stopped).
  absl::Status Call(std::string_view method, const google::protobuf::Message& request,
                    google::protobuf::Message* response, std::chrono::nanoseconds timeout = kShimCallTimeout);
  // The shim's State, or STOPPED with the recorded exit once the shim is gone.
  absl::StatusOr<taskapi::StateResponse> State(const std::string& exec_id);
  // Blocks until the process exits; when the shim dies meanwhile, returns the exit recorded for it. Asks our shim
  // in slices, so a caller that went away (`cancelled`, polled between them) holds no thread here or in the shim
  // for longer than one slice: Cancelled.
  absl::StatusOr<taskapi::WaitResponse> Wait(const std::string& exec_id, const std::function<bool()>& cancelled);

  // The exit recorded when the shim died, and why (nullopt while the shim lives).
  std::optional<RecordedExit> recorded_exit() const;

 private:
  friend class TaskManager;

  void Attach(std::unique_ptr<ShimClient> client, uint32_t pid, UniqueFd init_pidfd);
  // Drops the client: no new call starts, calls in flight fail Unavailable.
  void Detach();
  void RecordExit(RecordedExit exit);
  // The live client (shared so a concurrent Detach does not free it under a call).
  std::shared_ptr<ShimClient> client() const;

  Bundle bundle_;
  std::string shim_binary_;
  std::string runtime_;

  mutable std::mutex mu_;
  std::condition_variable exited_cv_;
  std::shared_ptr<ShimClient> client_;
  uint32_t pid_ = 0;
  UniqueFd init_pidfd_;  // the container's init: killed if the shim's cleanup could not
  std::optional<RecordedExit> exit_;
  int watch_token_ = 0;  // the shim's pidfd in the watcher
  int log_token_ = 0;    // the shim's log FIFO in the watcher
  bool deleting_ = false;  // a Delete owns the shim's end: its exit is not a death
};

}  // namespace berth::runtime
