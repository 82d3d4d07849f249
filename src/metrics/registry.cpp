#include "metrics/registry.h"

#include <cmath>

#include "base/log.h"
#include "fmt/format.h"

namespace berth::metrics {

namespace {

// A sample computed when scraped: one unlabelled line.
class CallbackMetric final : public FamilyBase {
 public:
  CallbackMetric(std::string name, std::string help, std::string_view type, std::function<double()> read)
      : FamilyBase(std::move(name), std::move(help), {}, ""), type_(type), read_(std::move(read)) {}

  std::string_view type() const override { return type_; }
  bool HasSamples() const override { return true; }
  void AppendSamples(std::string* out) const override { *out += fmt::format("{} {}\n", name(), FormatValue(read_())); }

 private:
  std::string_view type_;  // one of the kTypeName literals
  std::function<double()> read_;
};

// Why a new family cannot be exported as asked ("" if it can).
std::string Rejection(std::string_view name, const std::vector<std::string>& label_names, std::string_view type) {
  if (!IsValidMetricName(name)) return "invalid metric name";
  for (const std::string& label : label_names) {
    if (!IsValidLabelName(label)) return fmt::format("invalid label name \"{}\"", label);
    if (type == Histogram::kTypeName && label == "le") return "label name le is reserved for histogram buckets";
  }
  return "";
}

std::string BoundsRejection(const std::vector<double>& bounds) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) return "bucket bounds must be finite (+Inf is implicit)";
    if (i > 0 && bounds[i] <= bounds[i - 1]) return "bucket bounds must be strictly increasing";
  }
  return "";
}

std::string ShapeOf(const std::vector<double>& bounds) {
  std::string shape;
  for (double b : bounds) shape += FormatValue(b) + ",";
  return shape;
}

}  // namespace

template <typename T>
Family<T>* Registry::AddFamily(std::string_view name, std::string_view help, std::vector<std::string> label_names,
                               std::string shape, std::function<std::unique_ptr<T>()> make_child) {
  auto make = [&] {
    return std::make_unique<Family<T>>(std::string(name), std::string(help), label_names, shape, make_child);
  };
  std::string why = Rejection(name, label_names, T::kTypeName);
  std::lock_guard lock(mu_);
  if (why.empty()) {
    auto it = families_.find(name);
    if (it == families_.end()) {
      Family<T>* family = make().release();
      families_.emplace(std::string(name), std::unique_ptr<FamilyBase>(family));
      return family;
    }
    auto* existing = dynamic_cast<Family<T>*>(it->second.get());
    if (existing != nullptr && existing->label_names() == label_names && existing->shape() == shape) {
      return existing;
    }
    why = fmt::format("already registered as a {} with labels {{{}}}{}", it->second->type(),
                      fmt::join(it->second->label_names(), ","),
                      existing != nullptr && existing->label_names() == label_names ? " and other buckets" : "");
  }
  log::Error("metrics: {} {} not exported: {}", T::kTypeName, name, why);
  rejected_.push_back(make());
  return static_cast<Family<T>*>(rejected_.back().get());
}

Family<Counter>* Registry::AddCounterFamily(std::string_view name, std::string_view help,
                                            std::vector<std::string> label_names) {
  return AddFamily<Counter>(name, help, std::move(label_names), "", [] { return std::make_unique<Counter>(); });
}

Family<Gauge>* Registry::AddGaugeFamily(std::string_view name, std::string_view help,
                                        std::vector<std::string> label_names) {
  return AddFamily<Gauge>(name, help, std::move(label_names), "", [] { return std::make_unique<Gauge>(); });
}

Family<Histogram>* Registry::AddHistogramFamily(std::string_view name, std::string_view help,
                                                std::vector<std::string> label_names, std::vector<double> bounds) {
  if (std::string why = BoundsRejection(bounds); !why.empty()) {
    log::Error("metrics: histogram {}: {}; using the default buckets", name, why);
    bounds = DefaultBuckets();
  }
  std::string shape = ShapeOf(bounds);
  auto shared = std::make_shared<const std::vector<double>>(std::move(bounds));
  return AddFamily<Histogram>(name, help, std::move(label_names), std::move(shape),
                              [shared] { return std::make_unique<Histogram>(shared); });
}

Counter* Registry::AddCounter(std::string_view name, std::string_view help) {
  return AddCounterFamily(name, help, {})->With({});
}

Gauge* Registry::AddGauge(std::string_view name, std::string_view help) {
  return AddGaugeFamily(name, help, {})->With({});
}

Histogram* Registry::AddHistogram(std::string_view name, std::string_view help, std::vector<double> bounds) {
  return AddHistogramFamily(name, help, {}, std::move(bounds))->With({});
}

void Registry::AddGaugeCallback(std::string_view name, std::string_view help, std::function<double()> read) {
  AddCallback(name, help, Gauge::kTypeName, std::move(read));
}

void Registry::AddCounterCallback(std::string_view name, std::string_view help, std::function<double()> read) {
  AddCallback(name, help, Counter::kTypeName, std::move(read));
}

void Registry::AddCallback(std::string_view name, std::string_view help, std::string_view type,
                           std::function<double()> read) {
  std::string why = Rejection(name, {}, type);
  std::lock_guard lock(mu_);
  if (why.empty()) {
    auto it = families_.find(name);
    if (it == families_.end()) {
      families_.emplace(std::string(name),
                        std::make_unique<CallbackMetric>(std::string(name), std::string(help), type, std::move(read)));
      return;
    }
    // The first callback stays: a second registration of the same reading is a no-op.
    if (dynamic_cast<CallbackMetric*>(it->second.get()) != nullptr && it->second->type() == type) return;
    why = fmt::format("already registered as a {}", it->second->type());
  }
  log::Error("metrics: {} {} not exported: {}", type, name, why);
}

std::string Registry::Render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, family] : families_) {
    if (!family->HasSamples()) continue;
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, EscapeHelp(family->help()), name, family->type());
    family->AppendSamples(&out);
  }
  return out;
}

Registry& Default() {
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace berth::metrics
