// The set of metrics berthd exports, rendered in the Prometheus text format for /v1/metrics.
//
//   metrics::Registry& r = metrics::Default();
//   metrics::Counter* bytes = r.AddCounter("berth_transfer_bytes_total", "Bytes fetched from registries");
//   bytes->Inc(n);
//   auto* retries = r.AddCounterFamily("berth_transfer_retries_total", "Fetch retries by reason", {"reason"});
//   retries->With({"reset"})->Inc();
//   metrics::Histogram* pull = r.AddHistogram("berth_pull_duration_seconds", "…", metrics::DefaultBuckets());
//   pull->Observe(seconds);     // or: metrics::ScopedTimer timer(pull);
//
// Thread-safe. Metrics live as long as the registry (the returned pointers never dangle; nothing is unregistered).
// Adding a name that exists returns the existing metric when type, labels and buckets agree, so a module built
// twice in one process shares its metrics. A disagreement, or an invalid name, is a programming error: it is
// logged, and the caller gets a working metric that is not exported (never null, never a crash in the daemon).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/counter.h"
#include "metrics/family.h"
#include "metrics/gauge.h"
#include "metrics/histogram.h"

namespace berth::metrics {

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter* AddCounter(std::string_view name, std::string_view help);
  Gauge* AddGauge(std::string_view name, std::string_view help);
  Histogram* AddHistogram(std::string_view name, std::string_view help, std::vector<double> bounds);

  Family<Counter>* AddCounterFamily(std::string_view name, std::string_view help, std::vector<std::string> label_names);
  Family<Gauge>* AddGaugeFamily(std::string_view name, std::string_view help, std::vector<std::string> label_names);
  Family<Histogram>* AddHistogramFamily(std::string_view name, std::string_view help,
                                        std::vector<std::string> label_names, std::vector<double> bounds);

  // Values read at scrape time (e.g. from /proc), for state that is cheaper to look up than to track. `read` runs
  // under the registry's lock: it must be quick and must not call into the registry.
  void AddGaugeCallback(std::string_view name, std::string_view help, std::function<double()> read);
  void AddCounterCallback(std::string_view name, std::string_view help, std::function<double()> read);

  // Every family with samples, ordered by name (children by label values): HELP, TYPE, then sample lines.
  std::string Render() const;

 private:
  template <typename T>
  Family<T>* AddFamily(std::string_view name, std::string_view help, std::vector<std::string> label_names,
                       std::string shape, std::function<std::unique_ptr<T>()> make_child);
  void AddCallback(std::string_view name, std::string_view help, std::string_view type, std::function<double()> read);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<FamilyBase>, std::less<>> families_;
  std::vector<std::unique_ptr<FamilyBase>> rejected_;  // kept alive for their callers, never rendered
};

// The process-wide registry berthd serves, so any module can add its metrics without plumbing. Never destroyed
// (threads may still count while the process exits).
Registry& Default();

}  // namespace berth::metrics
