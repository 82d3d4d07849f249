// Runs work on a thread of its own, in order, so a caller does not wait for what its client need not: the end of a
// deleted task (its shim's last runc delete, its bundle's removal; on ext4 each unlink of a file with data is a
// metadata update). Work still queued when it stops is dropped: what it would have cleaned up is found again at
// the next start.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace berth::runtime {

class WorkQueue {
 public:
  WorkQueue();
  ~WorkQueue();  // Stop()
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Post(std::function<void()> work);
  // Lets the work under way finish, drops the rest; nothing runs after it returns.
  void Stop();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: it uses the members above
};

}  // namespace berth::runtime
