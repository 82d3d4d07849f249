#include "gc/scheduler.h"

#include <utility>

#include "absl/time/clock.h"

namespace berth::gc {

Scheduler::Scheduler(std::function<void()> collect, ScheduleOptions options)
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
      {
        // Checked again once no other collection runs: an on-demand one may just have served
        // everything, and a deletion notified while it ran must still be served by this one.
        std::lock_guard relock(mu_);
        if (stop_) return;
        due = schedule_.NextRun() <= absl::Now();
        if (due) schedule_.Started(absl::Now());
      }
      if (due) collect_();
    }
    lock.lock();
  }
}

}  // namespace berth::gc
