#include "gc/scheduler.h"

#include <utility>

#include "absl/time/clock.h"

namespace berth::gc {

Scheduler::Scheduler(std::function<bool()> collect, ScheduleOptions options)
    : collect_(std::move(collect)), schedule_(options, absl::Now()), thread_([this] { Loop(); }) {}

Scheduler::~Scheduler() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Scheduler::Notify() {
  {
    std::lock_guard lock(mu_);
    ++notifications_;
    schedule_.Notified(absl::Now());
  }
  cv_.notify_all();
}

void Scheduler::RunExclusive(const std::function<void()>& fn) {
  std::lock_guard run(run_mu_);
  {
    std::lock_guard lock(mu_);
    schedule_.Started(absl::Now());
  }
  cv_.notify_all();  // the next run moved; let the loop recompute its wait
  fn();
}

void Scheduler::RunUnlessServed(const std::function<bool()>& fn) {
  uint64_t want = 0;
  {
    std::lock_guard lock(mu_);
    want = notifications_;
  }
  std::lock_guard run(run_mu_);  // after the collection in progress, if any
  uint64_t serving = 0;
  {
    std::lock_guard lock(mu_);
    if (served_ >= want) return;
    serving = StartedLocked();
  }
  cv_.notify_all();
  if (fn()) Served(serving);
}

uint64_t Scheduler::StartedLocked() {
  schedule_.Started(absl::Now());
  return notifications_;
}

void Scheduler::Served(uint64_t notifications) {
  std::lock_guard lock(mu_);
  served_ = std::max(served_, notifications);
}

void Scheduler::RunAside(const std::function<void()>& fn) {
  std::lock_guard run(run_mu_);
  fn();
}

void Scheduler::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    absl::Time next = schedule_.NextRun();
    absl::Time now = absl::Now();
    if (next == absl::InfiniteFuture()) {
      cv_.wait(lock);
      continue;
    }
    if (now < next) {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(next - now));
      continue;
    }
    lock.unlock();
    {
      std::lock_guard run(run_mu_);
      bool due;
      uint64_t serving = 0;
      {
        // Checked again once no other collection runs: an on-demand one may just have served
        // everything, and a deletion notified while it ran must still be served by this one.
        std::lock_guard relock(mu_);
        if (stop_) return;
        due = schedule_.NextRun() <= absl::Now();
        if (due) serving = StartedLocked();
      }
      if (due && collect_()) Served(serving);
    }
    lock.lock();
  }
}

}  // namespace berth::gc
