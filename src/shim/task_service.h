// containerd.task.v2.Task for one container: decodes each request, drives runc, the reaper, stdio and the rootfs
// mount, and publishes the task events. One shim serves one container (id fixed by the first Create) and its
// exec processes.
#pragma once

#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "shim/oom_watcher.h"
#include "shim/process.h"
#include "shim/publisher.h"
#include "shim/reaper.h"
#include "shim/runc.h"
#include "ttrpc/server.h"

namespace berth::shim {

// Where runc keeps a container's state: inside the bundle, so containers of different daemons (or tests) never
// collide and the `delete` action finds it from the bundle alone.
std::string RuncRootForBundle(const std::string& bundle);

class TaskService {
 public:
  // `request_shutdown` is called (once) when Shutdown decides the shim should exit.
  TaskService(std::string ns, Reaper* reaper, Publisher* publisher, std::function<void()> request_shutdown);

  void RegisterWith(ttrpc::Server& server);
  // Wakes blocked Wait calls (the shim is exiting).
  void Abort();

  absl::StatusOr<std::string> Create(const ttrpc::CallContext& ctx, std::string_view payload);
  absl::StatusOr<std::string> Start(const ttrpc::CallContext& ctx, std::string_view payload);
  absl::StatusOr<std::string> Delete(const ttrpc::CallContext& ctx, std::string_view payload);
  absl::StatusOr<std::string> Exec(const ttrpc::CallContext& ctx, std::string_view payload);
  absl::StatusOr<std::string> State(const ttrpc::CallContext& ctx, std::string_view payload);
  absl::StatusOr<std::string> Pids(const ttrpc::CallContext& ctx, std::string_view payload);
  absl::StatusOr<std::string> Kill(const ttrpc::CallContext& ctx, std::string_view payload);
  absl::StatusOr<std::string> ResizePty(const ttrpc::CallContext& ctx, std::string_view payload);
  absl::StatusOr<std::string> CloseIO(const ttrpc::CallContext& ctx, std::string_view payload);
  absl::StatusOr<std::string> Pause(const ttrpc::CallContext& ctx, std::string_view payload);
  absl::StatusOr<std::string> Resume(const ttrpc::CallContext& ctx, std::string_view payload);
  absl::StatusOr<std::string> Update(const ttrpc::CallContext& ctx, std::string_view payload);
  absl::StatusOr<std::string> Wait(const ttrpc::CallContext& ctx, std::string_view payload);
  absl::StatusOr<std::string> Stats(const ttrpc::CallContext& ctx, std::string_view payload);
  absl::StatusOr<std::string> Connect(const ttrpc::CallContext& ctx, std::string_view payload);
  absl::StatusOr<std::string> Shutdown(const ttrpc::CallContext& ctx, std::string_view payload);

 private:
  absl::StatusOr<std::shared_ptr<Process>> Find(const std::string& id, const std::string& exec_id);
  absl::Status StartExec(const std::shared_ptr<Process>& process);
  // Sets up stdio (and the pty) around a runc create/exec call, then watches the new pid.
  absl::StatusOr<pid_t> Launch(const std::shared_ptr<Process>& process,
                               const std::function<absl::Status(const std::string& console, const ProcessFds&)>& run,
                               const std::string& pid_file);
  // The reaper's callback: holds the exit while the process's create/start is being published.
  void OnExit(const std::shared_ptr<Process>& process, int wait_status);
  // The create/start is published: reports an exit held meanwhile.
  void EndStart(const std::shared_ptr<Process>& process);
  // Records the exit and publishes /tasks/exit.
  void ReportExit(const std::shared_ptr<Process>& process, int wait_status, Timestamp at);
  // Once the init has exited: `runc delete` and the rootfs unmount, side by side in the background.
  void BeginCleanupAtExit();
  // Delete's cleanup: the unmount begun at exit, or (none) `runc delete` and the unmount now.
  absl::Status CleanUpContainer(const std::string& id, bool force);
  // Waits for the runc delete begun at exit (and runs it again if it failed).
  absl::Status FinishRuncDelete();

  const std::string ns_;
  Reaper* reaper_;
  Publisher* publisher_;
  std::function<void()> request_shutdown_;

  std::mutex create_mu_;  // serializes Create and Delete of the container
  std::mutex mu_;         // guards the fields below
  std::string id_, bundle_;
  std::unique_ptr<Runc> runc_;
  std::shared_ptr<Process> init_;
  std::map<std::string, std::shared_ptr<Process>> execs_;
  std::vector<Mount> rootfs_;
  std::unique_ptr<OomWatcher> oom_;
  bool deleted_ = false;
  bool delete_begun_ = false;
  // After runc_, so they are joined before runc_ goes.
  std::future<absl::Status> runc_deleted_, unmounted_;
};

}  // namespace berth::shim
