#include "plugins/remotes/retry.h"

#include <thread>

#include "absl/time/clock.h"
#include "fmt/format.h"

namespace berth::remotes {

std::mt19937_64& RetryRng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

absl::Status SleepFor(const Context& ctx, std::chrono::milliseconds delay) {
  // Short slices so a cancelled pull stops waiting promptly; the loop is bounded by `end`.
  constexpr absl::Duration kSlice = absl::Milliseconds(10);
  absl::Time end = absl::Now() + absl::FromChrono(delay);
  for (;;) {
    if (ctx.Cancelled()) return absl::CancelledError("cancelled while waiting to retry");
    absl::Time now = absl::Now();
    if (now >= ctx.deadline) return absl::DeadlineExceededError("deadline passed while waiting to retry");
    if (now >= end) return absl::OkStatus();
    absl::SleepFor(std::min({kSlice, end - now, ctx.deadline - now}));
  }
}

namespace internal {

absl::Status GiveUp(const Context& ctx, const absl::Status& last, std::chrono::milliseconds delay) {
  if (ctx.Cancelled()) return absl::CancelledError(fmt::format("cancelled; last error: {}", last.ToString()));
  if (absl::Now() + absl::FromChrono(delay) >= ctx.deadline) {
    return absl::DeadlineExceededError(
        fmt::format("deadline would pass before the next attempt; last error: {}", last.ToString()));
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace berth::remotes
