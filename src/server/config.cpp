#include "server/config.h"

#include <set>

#include <toml++/toml.h>

#include "fmt/format.h"

namespace berth::server {

namespace {

absl::Status ReadString(const toml::table& table, std::string_view key, std::string_view where, std::string* out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return absl::OkStatus();
  auto value = node->value<std::string>();
  if (!value) return absl::InvalidArgumentError(fmt::format("config {}{}: want a string", where, key));
  *out = *value;
  return absl::OkStatus();
}

absl::Status CheckKeys(const toml::table& table, const std::set<std::string_view>& known, std::string_view where) {
  for (const auto& [key, node] : table) {
    if (!known.contains(key.str())) {
      return absl::InvalidArgumentError(fmt::format("config: unknown key {}{}", where, key.str()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Config> LoadConfigFile(const std::string& path, Config config) {
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(fmt::format("config {}: {} (line {})", path, e.description(),
                                                  e.source().begin.line));
  }
  absl::Status s = CheckKeys(doc, {"version", "root", "state", "grpc", "debug"}, "");
  if (s.ok()) s = ReadString(doc, "root", "", &config.root);
  if (s.ok()) s = ReadString(doc, "state", "", &config.state);
  if (s.ok() && doc["grpc"].is_table()) {
    const toml::table& grpc = *doc["grpc"].as_table();
    s = CheckKeys(grpc, {"address"}, "grpc.");
    if (s.ok()) s = ReadString(grpc, "address", "grpc.", &config.address);
  }
  if (s.ok() && doc["debug"].is_table()) {
    const toml::table& debug = *doc["debug"].as_table();
    s = CheckKeys(debug, {"level"}, "debug.");
    if (s.ok()) s = ReadString(debug, "level", "debug.", &config.log_level);
  }
  if (!s.ok()) return absl::Status(s.code(), fmt::format("{}: {}", path, std::string(s.message())));
  return config;
}

}  // namespace berth::server
