// A monotonically increasing count of events or bytes. Lock-free: Inc is one relaxed atomic add, so it is cheap
// enough for per-chunk accounting. Integral on purpose (exact sums); accumulate durations in a Histogram.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

namespace berth::metrics {

class Counter {
 public:
  static constexpr std::string_view kTypeName = "counter";

  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace berth::metrics
