// runtime::TaskManager: berthd's runtime v2 manager (containerd's runtime/v2/manager.go). One shim per task:
// the manager writes the bundle, runs `<shim> start`, talks to the shim over ttrpc, and forwards the shims'
// events (a ttrpc Events.Forward server on `<daemon address>.ttrpc`) into the event exchange.
//
// Shim death: every shim's pidfd is watched. When a shim dies (SIGKILL, OOM), the manager runs the shim's
// `delete` action (which kills what is left of the container and unmounts its rootfs), kills the container's
// init itself if that failed, unmounts and releases the bundle, records the exit (137, or 255 if cleanup failed)
// with a reason in bundle/exit.json, and publishes /tasks/exit. The task then reads STOPPED until deleted; the
// container can run again after that. Nothing is ever UNKNOWN.
//
// Restart: Open reconnects to every shim named by a bundle under the state dir, in parallel, with a 2 s deadline
// each; a shim that does not answer is treated as dead (above). A crash at any point leaves bundles that Open
// either reconnects or cleans up.
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/containers/containers.h"
#include "events/exchange.h"
#include "plugins/runtime/stop_reason.h"
#include "plugins/runtime/task.h"
#include "plugins/runtime/work_queue.h"
#include "plugins/runtime/watcher.h"
#include "ttrpc/server.h"

namespace berth::runtime {

struct TaskManagerOptions {
  std::string state_dir;       // bundles go under <state_dir>/io.containerd.runtime.v2.task
  std::string daemon_address;  // berthd's gRPC socket: the shims' -address
  events::Exchange* exchange = nullptr;
};

struct CreateTaskOptions {
  std::vector<containerd::types::Mount> rootfs;
  std::string stdin_path, stdout_path, stderr_path;
  bool terminal = false;
  std::optional<containers::Any> options;  // runtime options for the shim's Create (tasks.Create options)
};

class TaskManager {
 public:
  static absl::StatusOr<std::unique_ptr<TaskManager>> Open(TaskManagerOptions options);
  ~TaskManager();  // stops watching; shims keep running (a restarted berthd reconnects)

  // Starts a shim for the container and creates its task. AlreadyExists if the container has a task.
  absl::StatusOr<std::shared_ptr<Task>> Create(const std::string& ns, const containers::Container& container,
                                               const CreateTaskOptions& options);
  // NotFound `task ID not found`.
  absl::StatusOr<std::shared_ptr<Task>> Get(const std::string& ns, const std::string& id);
  std::vector<std::shared_ptr<Task>> List(const std::string& ns);
  // Deletes the task's init: FailedPrecondition while it runs. Shuts the shim down, cleans up, removes the
  // bundle. A dead task's recorded exit is returned (and /tasks/delete published) as the shim would have.
  absl::StatusOr<taskapi::DeleteResponse> Delete(const std::string& ns, const std::string& id);

 private:
  explicit TaskManager(TaskManagerOptions options);
  std::string TasksRoot() const { return options_.state_dir + "/io.containerd.runtime.v2.task"; }
  std::vector<std::string> ShimEnv() const;
  std::vector<std::string> ShimArgs(const Task& task, const std::string& action) const;
  absl::StatusOr<std::string> StartShim(const Task& task, const std::optional<containers::Any>& options);
  // Watches the shim (pidfd of shim_pid) and registers the task.
  absl::Status Watch(const std::shared_ptr<Task>& task, uint32_t shim_pid);
  // Dead-shim cleanup (see the header comment). `why` becomes the recorded reason.
  void OnShimDeath(const std::shared_ptr<Task>& task, const std::string& why, bool publish);
  // The shim's `delete` action; its DeleteResponse, or an error.
  absl::StatusOr<taskapi::DeleteResponse> RunDeleteAction(const Task& task);
  absl::Status ServeEvents();
  void Recover();
  void RecoverOne(const std::string& ns, const std::string& id);
  void Publish(const std::string& ns, const std::string& topic, const google::protobuf::Message& event);
  // After the shim's Delete: its Shutdown, our end of it, and the bundle out of the way (then removed in the
  // background).
  void FinishDelete(Task& task);

  TaskManagerOptions options_;
  std::string self_exe_;
  std::unique_ptr<StopReasonRecorder> stop_reasons_;  // fed by the events server: declared before it
  std::unique_ptr<ttrpc::Server> events_server_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Task>> tasks_;  // (ns, id)
  // Deleted tasks whose shim and bundle are still being finished by background_: a new task of the same id waits.
  std::set<std::pair<std::string, std::string>> finishing_;
  std::condition_variable finished_;
  WorkQueue background_;
  std::unique_ptr<Watcher> watcher_;  // last: its thread calls into the members above, so it stops first
};

}  // namespace berth::runtime
