// A value that goes up and down (in-flight transfers, bytes held). Lock-free; Add is a compare-and-swap loop on a
// double, so concurrent Inc/Dec never lose an update.
#pragma once

#include <atomic>
#include <string_view>

namespace berth::metrics {

class Gauge {
 public:
  static constexpr std::string_view kTypeName = "gauge";

  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void Inc() { Add(1); }
  void Dec() { Add(-1); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

}  // namespace berth::metrics
