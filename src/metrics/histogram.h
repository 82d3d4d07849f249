// A distribution of observations (durations in seconds, sizes in bytes) over fixed upper bounds, exported the
// Prometheus way: cumulative `le` buckets, `_sum` and `_count`. Observe is lock-free (a binary search over the
// bounds, one atomic add on the bucket, one on the sum).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace berth::metrics {

// Prometheus' default bounds, in seconds: 5 ms … 10 s.
std::vector<double> DefaultBuckets();
// `count` bounds start, start*factor, start*factor², … (e.g. sizes: ExponentialBuckets(4096, 4, 8)).
std::vector<double> ExponentialBuckets(double start, double factor, int count);

class Histogram {
 public:
  static constexpr std::string_view kTypeName = "histogram";

  // `bounds` strictly increasing and finite (the registry checks; +Inf is implicit).
  explicit Histogram(std::shared_ptr<const std::vector<double>> bounds);

  // A value lands in the first bucket whose bound is >= value (bounds are inclusive, as `le` says); values above
  // every bound, and NaN, only in +Inf.
  void Observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  // Buckets are read one by one while others may observe: each is exact, the set is a moment's approximation,
  // but +Inf and _count always agree (both are the sum of the buckets read).
  Snapshot Read() const;
  const std::vector<double>& bounds() const { return *bounds_; }

 private:
  std::shared_ptr<const std::vector<double>> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_->size() + 1, the last one above every bound
  std::atomic<double> sum_{0};
};

// Observes the seconds from construction to destruction: `metrics::ScopedTimer timer(pull_duration);`.
class ScopedTimer {
 public:
  explicit ScopedTimer(Histogram* histogram) : histogram_(histogram), start_(std::chrono::steady_clock::now()) {}
  ~ScopedTimer() {
    histogram_->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;

 private:
  Histogram* histogram_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace berth::metrics
