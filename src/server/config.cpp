#include "server/config.h"

#include <set>

#include <toml++/toml.h>

#include "base/status.h"
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

absl::Status ReadInt(const toml::table& table, std::string_view key, std::string_view where, int min, int* out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return absl::OkStatus();
  auto value = node->value<int64_t>();
  if (!value || *value < min || *value > 1000) {
    return absl::InvalidArgumentError(fmt::format("config {}{}: want an integer from {} to 1000", where, key, min));
  }
  *out = static_cast<int>(*value);
  return absl::OkStatus();
}

absl::Status ReadBool(const toml::table& table, std::string_view key, std::string_view where, bool* out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return absl::OkStatus();
  auto value = node->value<bool>();
  if (!value) return absl::InvalidArgumentError(fmt::format("config {}{}: want true or false", where, key));
  *out = *value;
  return absl::OkStatus();
}

absl::Status ReadRegistry(const toml::table& table, const std::string& where, remotes::HostConfig* host) {
  RETURN_IF_ERROR(CheckKeys(table, {"mirrors", "plain_http", "ca_file", "skip_verify", "username", "password"}, where));
  RETURN_IF_ERROR(ReadBool(table, "plain_http", where, &host->plain_http));
  RETURN_IF_ERROR(ReadBool(table, "skip_verify", where, &host->skip_verify));
  RETURN_IF_ERROR(ReadString(table, "ca_file", where, &host->ca_file));
  RETURN_IF_ERROR(ReadString(table, "username", where, &host->username));
  RETURN_IF_ERROR(ReadString(table, "password", where, &host->password));
  if (const toml::node* mirrors = table.get("mirrors")) {
    const toml::array* list = mirrors->as_array();
    if (list == nullptr) return absl::InvalidArgumentError(fmt::format("config {}mirrors: want a list", where));
    for (const toml::node& m : *list) {
      auto value = m.value<std::string>();
      if (!value) return absl::InvalidArgumentError(fmt::format("config {}mirrors: want strings", where));
      host->mirrors.push_back(*value);
    }
  }
  return absl::OkStatus();
}

absl::Status ReadPullSettings(const toml::table& doc, Config* config) {
  if (const toml::table* transfer = doc["transfer"].as_table()) {
    RETURN_IF_ERROR(CheckKeys(*transfer, {"max_concurrent_downloads", "max_attempts"}, "transfer."));
    RETURN_IF_ERROR(ReadInt(*transfer, "max_concurrent_downloads", "transfer.", 1, &config->max_concurrent_downloads));
    RETURN_IF_ERROR(ReadInt(*transfer, "max_attempts", "transfer.", 1, &config->max_attempts));
  }
  if (const toml::table* registries = doc["registry"].as_table()) {
    for (const auto& [host, node] : *registries) {
      const std::string where = fmt::format("registry.\"{}\".", host.str());
      if (!node.is_table()) return absl::InvalidArgumentError(fmt::format("config {}: want a table", where));
      RETURN_IF_ERROR(ReadRegistry(*node.as_table(), where, &config->registries[std::string(host.str())]));
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
  absl::Status s = CheckKeys(doc, {"version", "root", "state", "grpc", "debug", "metrics", "transfer", "registry"}, "");
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
  if (s.ok() && doc["metrics"].is_table()) {
    const toml::table& metrics = *doc["metrics"].as_table();
    s = CheckKeys(metrics, {"address"}, "metrics.");
    if (s.ok()) s = ReadString(metrics, "address", "metrics.", &config.metrics_address);
  }
  if (s.ok()) s = ReadPullSettings(doc, &config);
  if (!s.ok()) return absl::Status(s.code(), fmt::format("{}: {}", path, std::string(s.message())));
  return config;
}

}  // namespace berth::server
