// Lenient field access for the JSON runc prints (`runc events --stats`): a missing or mistyped field reads as 0
// or as an empty object, as containerd's shims treat them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace berth::shim {

inline uint64_t JsonU64(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  return it->is_number_unsigned() ? it->get<uint64_t>()
                                  : static_cast<uint64_t>(std::max<int64_t>(0, it->get<int64_t>()));
}

inline const nlohmann::json& JsonObject(const nlohmann::json& j, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  auto it = j.find(key);
  return (it != j.end() && it->is_object()) ? *it : empty;
}

// The "data" object of `runc events --stats` output.
inline absl::StatusOr<nlohmann::json> RuncStatsData(std::string_view runc_events_json) {
  nlohmann::json root = nlohmann::json::parse(runc_events_json.begin(), runc_events_json.end(), nullptr,
                                              /*allow_exceptions=*/false);
  if (!root.is_object()) {
    return absl::InternalError(fmt::format("runc events --stats: not a JSON object: {}",
                                           std::string(runc_events_json.substr(0, 200))));
  }
  return JsonObject(root, "data");
}

}  // namespace berth::shim
