#include "plugins/transfer/single_flight.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace berth::transfer {
namespace {

using namespace std::chrono_literals;

TEST(SingleFlightTest, ConcurrentCallsForOneKeyRunTheWorkOnceAndShareItsResult) {
  SingleFlight<int> flights;
  std::atomic<int> runs{0};
  std::atomic<int> leaders{0};
  std::vector<int> results(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = flights.Do("sha256:a", Context{}, [&] {
        ++runs;
        std::this_thread::sleep_for(200ms);  // long enough for every other thread to arrive and wait
        return 42;
      }, -1);
      results[i] = r.value;
      leaders += r.leader;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(leaders, 1);
  for (int r : results) EXPECT_EQ(r, 42);
  EXPECT_EQ(flights.in_flight(), 0u);
}

TEST(SingleFlightTest, DifferentKeysDoNotWaitForEachOther) {
  SingleFlight<int> flights;
  std::atomic<bool> release{false};
  std::thread slow([&] {
    flights.Do("slow", Context{}, [&] {
      while (!release) std::this_thread::sleep_for(1ms);
      return 1;
    }, -1);
  });
  auto fast = flights.Do("fast", Context{}, [] { return 2; }, -1);  // would hang if keys shared one flight
  EXPECT_TRUE(fast.leader);
  EXPECT_EQ(fast.value, 2);
  release = true;
  slow.join();
}

TEST(SingleFlightTest, ACancelledWaiterStopsWaitingAndTheWorkGoesOn) {
  SingleFlight<int> flights;
  std::atomic<bool> release{false};
  std::thread leader([&] {
    auto r = flights.Do("k", Context{}, [&] {
      while (!release) std::this_thread::sleep_for(1ms);
      return 7;
    }, -1);
    EXPECT_EQ(r.value, 7);
  });
  while (flights.in_flight() == 0) std::this_thread::sleep_for(1ms);
  std::atomic<bool> cancelled{false};
  Context ctx{.is_cancelled = [&] { return cancelled.load(); }};
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    cancelled = true;
  });
  auto waited = flights.Do("k", ctx, [] { return 0; }, -1);
  EXPECT_FALSE(waited.leader);
  EXPECT_EQ(waited.value, -1);
  release = true;
  leader.join();
  canceller.join();
}

TEST(SingleFlightTest, TheNextCallAfterAFlightEndsRunsAgain) {
  SingleFlight<int> flights;
  int runs = 0;
  flights.Do("k", Context{}, [&] { return ++runs; }, -1);
  auto again = flights.Do("k", Context{}, [&] { return ++runs; }, -1);
  EXPECT_TRUE(again.leader);
  EXPECT_EQ(again.value, 2);
}

}  // namespace
}  // namespace berth::transfer
