// One thread that watches every shim: its pidfd (readable once the shim process exits, whoever its parent is)
// and its log FIFO (drained into berthd's log, so a shim never blocks writing logs). epoll; bounded work per event.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace berth::runtime {

class Watcher {
 public:
  static absl::StatusOr<std::unique_ptr<Watcher>> Start();
  ~Watcher() { Stop(); }
  // Stops and joins the thread: no callback runs after it returns. Idempotent.
  void Stop();

  // Calls on_exit once, on the watcher thread, when the process behind `pidfd` exits. Returns a token for Unwatch.
  absl::StatusOr<int> WatchExit(UniqueFd pidfd, std::function<void()> on_exit);
  // Logs every line read from `fd` at info level, prefixed with `name`.
  absl::StatusOr<int> DrainLog(UniqueFd fd, std::string name);
  // Stops watching (closes the fd). Safe with a token already gone.
  void Unwatch(int token);

 private:
  struct Entry {
    UniqueFd fd;
    std::function<void()> on_exit;  // set for pidfds
    std::string name;               // set for logs
    std::string partial;            // an unfinished log line
  };
  Watcher(UniqueFd epoll, UniqueFd wake) : epoll_(std::move(epoll)), wake_(std::move(wake)) {}
  absl::StatusOr<int> Add(Entry entry);
  void Loop();

  UniqueFd epoll_, wake_;
  std::mutex mu_;
  int next_token_ = 1;  // never reused, so a stale Unwatch cannot hit a newer entry
  std::map<int, std::shared_ptr<Entry>> entries_;
  std::thread thread_;
};

}  // namespace berth::runtime
