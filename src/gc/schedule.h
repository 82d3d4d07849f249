// When garbage collection should run (pure policy; gc/scheduler.h drives it with a thread and the
// clock):
// - after a deletion: `delay` after the first deletion not yet served (0 by default: at once, as
//   containerd's scheduler does, so a client that deletes and then writes without a lease does not
//   have its new objects collected by a run that was merely postponed), but never sooner than
//   `min_interval` after the previous run started, so a burst of deletions (an image prune, a
//   lease with many resources) costs a run or two, not one per deletion;
// - at least every `period`, so leases that expire with nobody deleting anything are collected;
// - once `startup_delay` after start, for what a crash left behind. Not at once: leftovers are not
//   urgent, and clients that write without a lease (containerd's own test suites do) would lose
//   their first objects.
// A run serves every deletion notified before it started; one notified during a run schedules
// another.
#pragma once

#include "absl/time/time.h"

namespace berth::gc {

struct ScheduleOptions {
  absl::Duration delay = absl::ZeroDuration();
  absl::Duration min_interval = absl::Milliseconds(100);
  absl::Duration period = absl::Minutes(10);         // InfiniteDuration: no timer
  absl::Duration startup_delay = absl::Seconds(30);  // InfiniteDuration: no run at start
};

// Not thread-safe; the scheduler calls it under its mutex.
class Schedule {
 public:
  Schedule(ScheduleOptions options, absl::Time now);

  void Notified(absl::Time now);
  // A collection starts at `now`: it serves every notification so far.
  void Started(absl::Time now);
  // When the next collection is due (InfiniteFuture: not before something is notified).
  absl::Time NextRun() const;
  bool pending() const { return pending_; }

 private:
  ScheduleOptions options_;
  absl::Time last_run_;
  absl::Time startup_run_;  // InfiniteFuture once any run has started
  bool pending_ = false;
  absl::Time first_notified_;  // of the notifications not yet served
};

}  // namespace berth::gc
