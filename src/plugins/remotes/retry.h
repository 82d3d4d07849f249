// Exponential backoff with full jitter, and a retry loop that only retries transient errors.
//
//   remotes::RetryPolicy policy;   // 5 attempts, 200 ms base, 10 s cap
//   absl::StatusOr<std::string> body = remotes::Retry(policy, ctx,
//       [&](int attempt) { return registry->FetchManifest(ctx, ref, desc); },
//       [&](int attempt, const absl::Status& s, std::chrono::milliseconds delay) {
//         log::Info("retry {} of {} in {}ms: {}", attempt + 1, ref.String(), delay.count(), s.ToString());
//       });
//
// The waits end early when ctx is cancelled (Cancelled) or its deadline would pass before the next attempt
// (DeadlineExceeded, with the last error in the message).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/context.h"
#include "plugins/remotes/errors.h"

namespace berth::remotes {

struct RetryPolicy {
  int max_attempts = 5;  // total tries, including the first
  std::chrono::milliseconds base{200}, cap{10'000};
};

// The wait before retry number `attempt` (0 = the first retry): uniform in [0, min(cap, base * 2^attempt)].
template <typename Rng>
std::chrono::milliseconds Backoff(const RetryPolicy& policy, int attempt, Rng& rng) {
  int64_t ceiling = policy.cap.count();
  int shift = std::clamp(attempt, 0, 40);  // 2^40 * base overflows nothing and exceeds any sane cap
  if (policy.base.count() > 0 && policy.base.count() <= (ceiling >> shift)) {
    ceiling = policy.base.count() << shift;
  }
  ceiling = std::max<int64_t>(0, ceiling);
  std::uniform_int_distribution<int64_t> uniform(0, ceiling);
  return std::chrono::milliseconds(uniform(rng));
}

// Sleeps `delay` unless ctx is cancelled (→ Cancelled) or its deadline comes first (→ DeadlineExceeded).
// Checks cancellation every few milliseconds.
absl::Status SleepFor(const Context& ctx, std::chrono::milliseconds delay);

// A per-thread generator for Backoff in Retry.
std::mt19937_64& RetryRng();

using OnRetry = std::function<void(int attempt, const absl::Status& error, std::chrono::milliseconds delay)>;

namespace internal {
inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) { return s.status(); }
absl::Status GiveUp(const Context& ctx, const absl::Status& last, std::chrono::milliseconds delay);
}  // namespace internal

// Calls fn(attempt) until it succeeds, fails permanently (!IsTransient), or policy.max_attempts is reached;
// fn returns absl::Status or absl::StatusOr<T>. on_retry (may be empty) is told before each wait.
template <typename Fn>
auto Retry(const RetryPolicy& policy, const Context& ctx, Fn&& fn, const OnRetry& on_retry = {})
    -> std::invoke_result_t<Fn&, int> {
  using Result = std::invoke_result_t<Fn&, int>;
  for (int attempt = 0;; ++attempt) {
    Result result = fn(attempt);
    const absl::Status& status = internal::StatusOf(result);
    if (status.ok() || !IsTransient(status) || attempt + 1 >= std::max(1, policy.max_attempts)) return result;
    std::chrono::milliseconds delay = Backoff(policy, attempt, RetryRng());
    if (absl::Status stop = internal::GiveUp(ctx, status, delay); !stop.ok()) return Result(stop);
    if (on_retry) on_retry(attempt + 1, status, delay);
    if (absl::Status slept = SleepFor(ctx, delay); !slept.ok()) {
      return Result(absl::Status(slept.code(), std::string(slept.message()) + "; last error: " + status.ToString()));
    }
  }
}

}  // namespace berth::remotes
