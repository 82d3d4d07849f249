// Reports OOM kills in a container's memory cgroup (for /tasks/oom), found from its init pid:
// cgroup v1: an eventfd registered for memory.oom_control through cgroup.event_control;
// cgroup v2: inotify on memory.events, counting oom_kill.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace berth::shim {

class OomWatcher {
 public:
  // on_oom runs on the watcher's thread. NotFound if the process has no memory cgroup to watch.
  static absl::StatusOr<std::unique_ptr<OomWatcher>> Start(pid_t pid, std::function<void()> on_oom);
  OomWatcher(const OomWatcher&) = delete;
  OomWatcher& operator=(const OomWatcher&) = delete;
  ~OomWatcher();  // stops and joins the thread

 private:
  OomWatcher() = default;
  void Run();
  uint64_t OomKills() const;  // v2 only

  bool v2_ = false;
  std::string dir_;     // the cgroup directory
  UniqueFd event_fd_;   // v1: the OOM eventfd; v2: the inotify fd
  UniqueFd control_fd_;  // v1: memory.oom_control, held open while registered
  UniqueFd stop_fd_;
  uint64_t last_kills_ = 0;
  std::function<void()> on_oom_;
  std::thread thread_;
};

}  // namespace berth::shim
