// Absolute http(s) URLs as the HTTP client needs them: scheme, host, port and the request target.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace berth::remotes {

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // as written, IPv6 without brackets
  int port = 0;        // explicit or the scheme's default
  std::string target;  // path and query, at least "/"

  // Accepts "http://host[:port][/path][?query]" and https; InvalidArgument naming `s` otherwise.
  static absl::StatusOr<Url> Parse(std::string_view s);
  // `location` from a redirect: absolute, scheme-relative ("//host/x") or a path relative to this URL.
  absl::StatusOr<Url> Resolve(std::string_view location) const;

  bool tls() const { return scheme == "https"; }
  // "host" or "host:port" when the port is not the scheme's default: the Host header's value.
  std::string Authority() const;
  // "host:port" always: the key of a connection pool and the name in errors.
  std::string Endpoint() const;
  std::string String() const { return scheme + "://" + Authority() + target; }
  bool SameOrigin(const Url& o) const { return scheme == o.scheme && host == o.host && port == o.port; }
};

// Percent-encodes a query value (RFC 3986 unreserved characters stay).
std::string QueryEscape(std::string_view s);

}  // namespace berth::remotes
