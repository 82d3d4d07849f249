// Runs garbage collection on a background thread when gc::Schedule says it is due, and serializes
// on-demand collections with it. The scheduler knows nothing of what a collection does: `collect`
// is called with no lock of the scheduler's held except the one that keeps two collections from
// overlapping.
//
// Thread-safe. The destructor stops the thread after the collection in progress, if any, has
// finished.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "gc/schedule.h"

namespace berth::gc {

class Scheduler {
 public:
  // `collect` returns whether the collection succeeded (a failed one serves no deletion).
  Scheduler(std::function<bool()> collect, ScheduleOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Something was deleted: collect soon (gc/schedule.h). Cheap; never blocks on a collection.
  void Notify();
  // Runs `fn` (an on-demand collection) now, after any background collection in progress and with
  // none overlapping it. Deletions notified before the call count as served by it.
  void RunExclusive(const std::function<void()>& fn);
  // For a deletion that asks for `sync`, after its Notify: returns once a collection that started after every
  // deletion notified so far has succeeded — the background one in progress, or else `fn`, run as RunExclusive
  // runs it. Saves the second full collection a sync delete would otherwise cost.
  void RunUnlessServed(const std::function<bool()>& fn);
  // Runs `fn` with no collection overlapping it, leaving the schedule as it is: for recovery work at
  // start-up that must not count as the start-up collection.
  void RunAside(const std::function<void()>& fn);

 private:
  void Loop();

  // Under mu_: the collection starting now serves every notification so far.
  uint64_t StartedLocked();
  void Served(uint64_t notifications);

  const std::function<bool()> collect_;
  std::mutex mu_;  // guards schedule_, stop_ and the counts
  uint64_t notifications_ = 0;
  uint64_t served_ = 0;  // every notification up to this one was served by a collection that succeeded
  std::condition_variable cv_;
  Schedule schedule_;
  bool stop_ = false;
  std::mutex run_mu_;  // held for the whole of every collection
  std::thread thread_;
};

}  // namespace berth::gc
