// HTTP header fields: names compared case-insensitively, order and repeats kept.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::remotes {

class Headers {
 public:
  void Add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  // Replaces every field called `name` with one.
  void Set(std::string name, std::string value);
  void Remove(std::string_view name);
  // The first value of `name`, or nullopt.
  std::optional<std::string> Get(std::string_view name) const;
  std::vector<std::string> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }

  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string_view TrimSpace(std::string_view s);

}  // namespace berth::remotes
