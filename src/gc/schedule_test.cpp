#include "gc/schedule.h"

#include <gtest/gtest.h>

namespace berth::gc {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);
absl::Time At(int ms) { return kT0 + absl::Milliseconds(ms); }

ScheduleOptions Options() {
  return {.delay = absl::ZeroDuration(),
          .min_interval = absl::Milliseconds(100),
          .period = absl::Minutes(10),
          .startup_delay = absl::InfiniteDuration()};
}

TEST(ScheduleTest, IdleRunsOnlyOnThePeriod) {
  Schedule s(Options(), kT0);
  EXPECT_EQ(s.NextRun(), kT0 + absl::Minutes(10) - absl::Milliseconds(100));
  s.Started(At(600000));
  EXPECT_EQ(s.NextRun(), At(600000) + absl::Minutes(10));
}

TEST(ScheduleTest, NoPeriodMeansNoTimer) {
  ScheduleOptions o = Options();
  o.period = absl::InfiniteDuration();
  Schedule s(o, kT0);
  EXPECT_EQ(s.NextRun(), absl::InfiniteFuture());
}

TEST(ScheduleTest, RunsOnceAfterStartupDelay) {
  ScheduleOptions o = Options();
  o.startup_delay = absl::Seconds(30);
  Schedule s(o, kT0);
  EXPECT_EQ(s.NextRun(), At(30000));
  s.Notified(At(50));  // a deletion before it runs at once, and serves as the startup run
  EXPECT_EQ(s.NextRun(), At(50));
  s.Started(At(50));
  EXPECT_EQ(s.NextRun(), At(50) + absl::Minutes(10));
}

TEST(ScheduleTest, FirstDeletionRunsAtOnce) {
  Schedule s(Options(), kT0);
  s.Notified(At(5));
  EXPECT_EQ(s.NextRun(), At(5));
}

TEST(ScheduleTest, DelayPostponesTheRun) {
  ScheduleOptions o = Options();
  o.delay = absl::Milliseconds(250);
  Schedule s(o, kT0);
  s.Notified(At(5));
  s.Notified(At(100));  // later deletions do not push it further
  EXPECT_EQ(s.NextRun(), At(255));
}

TEST(ScheduleTest, BurstIsRateLimited) {
  Schedule s(Options(), kT0);
  s.Notified(At(0));
  s.Started(At(0));
  int runs = 1;
  // A deletion every 10 ms for a second: a run at most every 100 ms.
  for (int ms = 10; ms <= 1000; ms += 10) {
    s.Notified(At(ms));
    if (s.NextRun() <= At(ms)) {
      s.Started(At(ms));
      ++runs;
    } else {
      EXPECT_GE(s.NextRun(), At(ms));
      EXPECT_LE(s.NextRun(), At(ms) + absl::Milliseconds(100));
    }
  }
  EXPECT_EQ(runs, 11);
}

TEST(ScheduleTest, RunServesEarlierDeletionsOnly) {
  Schedule s(Options(), kT0);
  s.Notified(At(10));
  s.Started(At(10));
  EXPECT_FALSE(s.pending());
  EXPECT_EQ(s.NextRun(), At(10) + absl::Minutes(10));
  s.Notified(At(50));  // during or after the run: another one, after min_interval
  EXPECT_TRUE(s.pending());
  EXPECT_EQ(s.NextRun(), At(110));
}

}  // namespace
}  // namespace berth::gc
