#include "plugins/remotes/endpoints.h"

#include "base/status.h"

namespace berth::remotes {
namespace {

bool IsLocalhost(const std::string& registry) {
  std::string host = registry.substr(0, registry.rfind(':'));
  if (registry.starts_with("[")) host = registry.substr(1, registry.find(']') - 1);
  else if (std::count(registry.begin(), registry.end(), ':') > 1) host = registry;  // bare IPv6
  return host == "localhost" || host == "127.0.0.1" || host == "::1";
}

const HostConfig* Find(const RegistryOptions& options, const std::string& host) {
  auto it = options.hosts.find(host);
  return it == options.hosts.end() ? nullptr : &it->second;
}

// "https://m:5000/prefix" stays; "m:5000" gets the default scheme.
absl::StatusOr<Url> ParseBase(const std::string& text, bool plain_http) {
  std::string full = text.find("://") == std::string::npos ? (plain_http ? "http://" : "https://") + text : text;
  ASSIGN_OR_RETURN(Url url, Url::Parse(full));
  while (url.target.size() > 0 && url.target.back() == '/') url.target.pop_back();
  return url;
}

}  // namespace

Url Endpoint::Api(const std::string& repository, const std::string& kind, const std::string& object) const {
  Url url = base;
  // A mirror base may already end in /v2 (containerd's hosts.toml habit); do not double it.
  std::string prefix = url.target.ends_with("/v2") ? url.target : url.target + "/v2";
  url.target = prefix + "/" + repository + "/" + kind + "/" + object;
  return url;
}

absl::StatusOr<std::vector<Endpoint>> EndpointsFor(const RegistryOptions& options, const Reference& ref,
                                                   const RequestOptions& request) {
  const HostConfig* found = Find(options, ref.registry);
  const HostConfig& config = found != nullptr ? *found : options.default_host;
  bool plain_http = config.plain_http || request.plain_http ||
                    (found == nullptr && options.plain_http_localhost && IsLocalhost(ref.registry));
  std::vector<Endpoint> out;
  for (const std::string& mirror : config.mirrors) {
    absl::StatusOr<Url> base = ParseBase(mirror, plain_http);
    if (!base.ok()) return WithContext(base.status(), fmt::format("mirror of {}", ref.registry));
    // A mirror with its own hosts entry brings its own CA and credentials; otherwise it inherits the TLS settings
    // of the registry it mirrors but never that registry's credentials.
    Endpoint endpoint{.base = *base, .mirror = true, .tls = {config.ca_file, config.skip_verify}};
    if (const HostConfig* own = Find(options, base->Authority())) {
      endpoint.tls = {own->ca_file, own->skip_verify};
      endpoint.credentials = {own->username, own->password};
    }
    out.push_back(std::move(endpoint));
  }
  ASSIGN_OR_RETURN(Url base, ParseBase(ref.ApiHost(), plain_http));
  out.push_back(Endpoint{.base = base,
                         .mirror = false,
                         .tls = {config.ca_file, config.skip_verify},
                         .credentials = {config.username, config.password}});
  return out;
}

}  // namespace berth::remotes
