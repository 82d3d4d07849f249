// Where to send a pull's requests: the configured mirrors in order, then the registry itself, each with its
// URL base, TLS settings and credentials, derived from RegistryOptions for one reference.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plugins/remotes/auth.h"
#include "plugins/remotes/reference.h"
#include "plugins/remotes/registry.h"
#include "plugins/remotes/tls.h"
#include "plugins/remotes/url.h"

namespace berth::remotes {

struct Endpoint {
  Url base;          // scheme://host:port plus an optional path prefix (mirrors), no trailing slash in target
  bool mirror = false;
  TlsConfig tls;
  Credentials credentials;

  // base + "/v2/<repository>/<kind>/<object>"
  Url Api(const std::string& repository, const std::string& kind, const std::string& object) const;
  std::string name() const { return base.Authority(); }
};

// InvalidArgument naming the mirror when one is not a valid URL or host.
absl::StatusOr<std::vector<Endpoint>> EndpointsFor(const RegistryOptions& options, const Reference& ref,
                                                   const RequestOptions& request);

}  // namespace berth::remotes
