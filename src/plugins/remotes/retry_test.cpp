#include "plugins/remotes/retry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "plugins/remotes/errors.h"

namespace berth::remotes {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, FullJitterStaysWithinTheExponentialCeiling) {
  RetryPolicy policy{.base = milliseconds(100), .cap = milliseconds(1000)};
  std::mt19937_64 rng(42);
  for (int attempt = 0; attempt < 8; ++attempt) {
    int64_t ceiling = std::min<int64_t>(1000, 100LL << attempt);
    int64_t lo = ceiling, hi = 0;
    double sum = 0;
    constexpr int kSamples = 4000;
    for (int i = 0; i < kSamples; ++i) {
      int64_t d = Backoff(policy, attempt, rng).count();
      ASSERT_GE(d, 0);
      ASSERT_LE(d, ceiling) << "attempt " << attempt;
      lo = std::min(lo, d);
      hi = std::max(hi, d);
      sum += static_cast<double>(d);
    }
    // Uniform over [0, ceiling]: samples reach both ends and average about the middle.
    EXPECT_LE(lo, ceiling / 20) << "attempt " << attempt;
    EXPECT_GE(hi, ceiling - ceiling / 20) << "attempt " << attempt;
    EXPECT_NEAR(sum / kSamples, ceiling / 2.0, ceiling * 0.05) << "attempt " << attempt;
  }
}

TEST(BackoffTest, HugeAttemptsDoNotOverflow) {
  RetryPolicy policy{.base = milliseconds(200), .cap = milliseconds(10'000)};
  std::mt19937_64 rng(1);
  for (int attempt : {30, 62, 63, 64, 1000}) {
    int64_t d = Backoff(policy, attempt, rng).count();
    EXPECT_GE(d, 0);
    EXPECT_LE(d, 10'000);
  }
}

TEST(RetryTest, RetriesTransientErrorsUntilSuccess) {
  RetryPolicy policy{.max_attempts = 5, .base = milliseconds(1), .cap = milliseconds(2)};
  int calls = 0;
  std::vector<int> retries;
  absl::StatusOr<int> result = Retry(
      policy, Context{},
      [&](int attempt) -> absl::StatusOr<int> {
        EXPECT_EQ(attempt, calls);
        if (++calls < 3) return TransientError(kReasonReset, "reset");
        return 7;
      },
      [&](int attempt, const absl::Status& s, milliseconds delay) {
        retries.push_back(attempt);
        EXPECT_EQ(ErrorReason(s), "reset");
        EXPECT_LE(delay, milliseconds(2));
      });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 7);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(retries, (std::vector<int>{1, 2}));
}

TEST(RetryTest, PermanentErrorsAreNotRetried) {
  int calls = 0;
  absl::Status s = Retry(RetryPolicy{.base = milliseconds(1)}, Context{}, [&](int) {
    ++calls;
    return absl::NotFoundError("manifest unknown");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(calls, 1);
}

TEST(RetryTest, GivesUpAfterMaxAttempts) {
  int calls = 0;
  absl::Status s = Retry(RetryPolicy{.max_attempts = 4, .base = milliseconds(1), .cap = milliseconds(1)},
                         Context{}, [&](int) {
                           ++calls;
                           return TransientError(kReasonHttp5xx, "503");
                         });
  EXPECT_TRUE(IsTransient(s));
  EXPECT_EQ(ErrorReason(s), "http_5xx");
  EXPECT_EQ(calls, 4);
}

TEST(RetryTest, CancellationStopsTheWait) {
  std::atomic<bool> cancelled{false};
  Context ctx{.is_cancelled = [&] { return cancelled.load(); }};
  // A 60 s backoff that must end within moments of the cancellation.
  RetryPolicy policy{.max_attempts = 3, .base = milliseconds(60'000), .cap = milliseconds(60'000)};
  std::mt19937_64 rng(3);
  ASSERT_GT(Backoff(policy, 0, rng), milliseconds(100)) << "seeded draw too short to test waiting";
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(100));
    cancelled = true;
  });
  auto start = std::chrono::steady_clock::now();
  int calls = 0;
  absl::Status s = Retry(policy, ctx, [&](int) {
    ++calls;
    return TransientError(kReasonTimeout, "stalled");
  });
  auto elapsed = std::chrono::steady_clock::now() - start;
  canceller.join();
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  EXPECT_NE(std::string(s.message()).find("stalled"), std::string::npos) << s;  // the last error is kept
  EXPECT_LE(calls, 1);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(RetryTest, DeadlineEndsRetriesEarly) {
  Context ctx{.deadline = absl::Now() + absl::Milliseconds(50)};
  RetryPolicy policy{.max_attempts = 100, .base = milliseconds(20), .cap = milliseconds(20)};
  auto start = std::chrono::steady_clock::now();
  absl::Status s = Retry(policy, ctx, [&](int) { return TransientError(kReasonEof, "eof"); });
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(SleepForTest, SleepsTheWholeDelayWithoutCancellation) {
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(SleepFor(Context{}, milliseconds(30)).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(30));
}

}  // namespace
}  // namespace berth::remotes
