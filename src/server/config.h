// berthd's configuration: embedded defaults, overridden by an optional TOML file, overridden by flags.
// The TOML keys follow containerd's config.toml where they mean the same thing:
//   root = "/var/lib/berth"     state = "/run/berth"
//   [grpc]  address = "/run/berth/berthd.sock"
//   [debug] level = "info"
//   [metrics] address = "127.0.0.1:1338"   (Prometheus /v1/metrics over HTTP; empty: off)
// and berth's own, for server-side pulls:
//   [transfer] max_concurrent_downloads = 3   max_attempts = 5   (retries of transient registry failures)
//   [registry."127.0.0.1:5000"]   plain_http = true   mirrors = ["http://10.0.0.2:5000"]   ca_file = "/…/ca.pem"
//                                 skip_verify = false   username = "…"   password = "…"
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "plugins/remotes/registry.h"

namespace berth::server {

struct Config {
  std::string root = "/var/lib/berth";
  std::string state = "/run/berth";
  std::string address = "/run/berth/berthd.sock";
  std::string log_level = "info";
  std::string metrics_address;  // "HOST:PORT"; empty disables the metrics endpoint
  int max_concurrent_downloads = 3;
  int max_attempts = 5;  // per registry request or blob connection, counting the first
  std::map<std::string, remotes::HostConfig> registries;  // by registry host ("docker.io", "127.0.0.1:5000")
};

// Reads `path` over `base`; unknown keys are an error naming the key (a typo must not pass silently).
absl::StatusOr<Config> LoadConfigFile(const std::string& path, Config base);

}  // namespace berth::server
