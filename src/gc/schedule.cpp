#include "gc/schedule.h"

#include <algorithm>

namespace berth::gc {

Schedule::Schedule(ScheduleOptions options, absl::Time now)
    : options_(options),
      last_run_(now -
                options.min_interval),  // the first deletion need not wait for a run that never was
      startup_run_(now + options.startup_delay) {}

void Schedule::Notified(absl::Time now) {
  if (!pending_) first_notified_ = now;
  pending_ = true;
}

void Schedule::Started(absl::Time now) {
  pending_ = false;
  last_run_ = now;
  startup_run_ = absl::InfiniteFuture();
}

absl::Time Schedule::NextRun() const {
  absl::Time next = std::min(startup_run_, last_run_ + options_.period);
  if (pending_) {
    next = std::min(next,
                    std::max(first_notified_ + options_.delay, last_run_ + options_.min_interval));
  }
  return next;
}

}  // namespace berth::gc
