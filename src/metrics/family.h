// A metric with label names: one child per distinct tuple of label values, made on first use and never removed,
// so the pointer With() returns stays valid for the registry's lifetime. Cache it where the code is hot; the
// increments are then plain atomics. With() itself takes a shared lock (an exclusive one to add a child).
#pragma once

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/exposition.h"

namespace berth::metrics {

// What the registry needs of every exported metric: identity, and its sample lines.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names, std::string shape)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        shape_(std::move(shape)) {}
  virtual ~FamilyBase() = default;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // What else must match for a second registration under the same name to get this family (bucket bounds).
  const std::string& shape() const { return shape_; }
  virtual std::string_view type() const = 0;
  // False while a labelled family has no children: it is then left out of the exposition, as client_golang does.
  virtual bool HasSamples() const = 0;
  virtual void AppendSamples(std::string* out) const = 0;

 private:
  std::string name_, help_;
  std::vector<std::string> label_names_;
  std::string shape_;
};

template <typename T>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names, std::string shape,
         std::function<std::unique_ptr<T>()> make_child)
      : FamilyBase(std::move(name), std::move(help), std::move(label_names), std::move(shape)),
        make_child_(std::move(make_child)) {}

  // The child for these label values, in label-name order. A wrong number of values is a programming error: it
  // gets a child that is counted but never exported (and HasMislabeledCalls() says so) rather than a crash.
  T* With(std::initializer_list<std::string_view> values) {
    if (values.size() != label_names().size()) {
      std::lock_guard lock(mu_);
      if (!mislabeled_) mislabeled_ = make_child_();
      return mislabeled_.get();
    }
    {
      std::shared_lock lock(mu_);
      if (auto it = children_.find(values); it != children_.end()) return it->second.metric.get();
    }
    std::lock_guard lock(mu_);
    std::vector<std::string> key(values.begin(), values.end());
    auto [it, inserted] = children_.try_emplace(std::move(key));
    if (inserted) {
      it->second.labels = FormatLabels(label_names(), it->first);
      it->second.metric = make_child_();
    }
    return it->second.metric.get();
  }

  bool HasMislabeledCalls() const {
    std::shared_lock lock(mu_);
    return mislabeled_ != nullptr;
  }

  std::string_view type() const override { return T::kTypeName; }
  bool HasSamples() const override {
    std::shared_lock lock(mu_);
    return !children_.empty();
  }
  void AppendSamples(std::string* out) const override {
    std::shared_lock lock(mu_);
    for (const auto& [values, child] : children_) metrics::AppendSamples(out, name(), child.labels, *child.metric);
  }

 private:
  // Orders label-value tuples, and finds a stored tuple from string_views without copying them.
  struct ValuesLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                          [](std::string_view x, std::string_view y) { return x < y; });
    }
  };
  struct Child {
    std::string labels;  // pre-formatted `name="value",…`
    std::unique_ptr<T> metric;
  };

  std::function<std::unique_ptr<T>()> make_child_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, Child, ValuesLess> children_;
  std::unique_ptr<T> mislabeled_;
};

}  // namespace berth::metrics
