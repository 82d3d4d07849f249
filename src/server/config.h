// berthd's configuration: embedded defaults, overridden by an optional TOML file, overridden by flags.
// The TOML keys follow containerd's config.toml where they mean the same thing:
//   root = "/var/lib/berth"     state = "/run/berth"
//   [grpc]  address = "/run/berth/berthd.sock"
//   [debug] level = "info"
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace berth::server {

struct Config {
  std::string root = "/var/lib/berth";
  std::string state = "/run/berth";
  std::string address = "/run/berth/berthd.sock";
  std::string log_level = "info";
};

// Reads `path` over `base`; unknown keys are an error naming the key (a typo must not pass silently).
absl::StatusOr<Config> LoadConfigFile(const std::string& path, Config base);

}  // namespace berth::server
