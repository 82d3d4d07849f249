// The threaded driver of gc::Schedule with the real clock; bounds are generous so a loaded machine
// passes.
#include "gc/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/time/clock.h"

namespace berth::gc {
namespace {

ScheduleOptions Fast() {
  return {.delay = absl::ZeroDuration(),
          .min_interval = absl::Milliseconds(50),
          .period = absl::InfiniteDuration(),
          .startup_delay = absl::InfiniteDuration()};
}

void WaitFor(const std::function<bool()>& cond, absl::Duration limit = absl::Seconds(5)) {
  absl::Time end = absl::Now() + limit;
  while (!cond() && absl::Now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

TEST(SchedulerTest, BurstOfNotificationsIsAtMostTwoCollections) {
  std::atomic<int> runs = 0;
  Scheduler s([&] { return ++runs > 0; }, Fast());
  for (int i = 0; i < 100; ++i) s.Notify();
  WaitFor([&] { return runs > 0; });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_GE(runs, 1);
  EXPECT_LE(runs, 2);
}

TEST(SchedulerTest, NothingRunsWithoutNotification) {
  std::atomic<int> runs = 0;
  Scheduler s([&] { return ++runs > 0; }, Fast());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(runs, 0);
}

TEST(SchedulerTest, PeriodicTimer) {
  std::atomic<int> runs = 0;
  ScheduleOptions o = Fast();
  o.period = absl::Milliseconds(20);
  Scheduler s([&] { return ++runs > 0; }, o);
  WaitFor([&] { return runs >= 3; });
  EXPECT_GE(runs, 3);
}

TEST(SchedulerTest, OnDemandRunServesPendingNotification) {
  std::atomic<int> background = 0;
  ScheduleOptions o = Fast();
  o.delay = absl::Milliseconds(200);
  Scheduler s([&] { return ++background > 0; }, o);
  s.Notify();
  bool ran = false;
  s.RunExclusive([&] { ran = true; });
  EXPECT_TRUE(ran);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(background, 0);
}

TEST(SchedulerTest, CollectionsNeverOverlap) {
  std::atomic<int> inside = 0;
  std::atomic<bool> overlapped = false;
  auto body = [&] {
    if (++inside > 1) overlapped = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    --inside;
    return true;
  };
  ScheduleOptions o = Fast();
  o.min_interval = absl::Milliseconds(1);
  o.period = absl::Milliseconds(5);
  Scheduler s(body, o);
  std::thread t([&] {
    for (int i = 0; i < 20; ++i) s.RunExclusive(body);
  });
  for (int i = 0; i < 50; ++i) {
    s.Notify();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  t.join();
  EXPECT_FALSE(overlapped);
}

TEST(SchedulerTest, DestructorWaitsForRunningCollection) {
  std::atomic<bool> finished = false;
  ScheduleOptions o = Fast();
  {
    Scheduler s(
        [&] {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          finished = true;
          return true;
        },
        o);
    s.Notify();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(finished);
}

// A deletion asking for `sync` rides on a background collection that started after it, instead of running another.
TEST(SchedulerTest, SyncDeletionIsServedByABackgroundRunThatStartedAfterIt) {
  std::atomic<int> background = 0;
  std::atomic<bool> release = false;
  ScheduleOptions o = Fast();
  Scheduler s(
      [&] {
        ++background;
        WaitFor([&] { return release.load(); });
        return true;
      },
      o);
  s.Notify();  // the deletion
  WaitFor([&] { return background > 0; });
  std::thread unblock([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    release = true;
  });
  bool ran = false;
  s.RunUnlessServed([&] { return ran = true; });
  unblock.join();
  EXPECT_FALSE(ran) << "the background run that started after the deletion served it";
  EXPECT_EQ(background, 1);
}

TEST(SchedulerTest, SyncDeletionRunsItsOwnWhenTheBackgroundRunFailedOrStartedBefore) {
  std::atomic<int> background = 0;
  ScheduleOptions o = Fast();
  o.delay = absl::Seconds(10);  // no background run before the sync one
  Scheduler failing([&] { return ++background < 0; }, Fast());
  failing.Notify();
  WaitFor([&] { return background > 0; });
  bool ran = false;
  failing.RunUnlessServed([&] { return ran = true; });
  EXPECT_TRUE(ran) << "a failed background run serves nothing";

  Scheduler later([&] { return true; }, o);
  later.Notify();
  ran = false;
  later.RunUnlessServed([&] { return ran = true; });
  EXPECT_TRUE(ran) << "nothing ran since the deletion: the sync call collects itself";
}

}  // namespace
}  // namespace berth::gc
