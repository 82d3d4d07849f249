// The HTTP semantics of the metrics endpoint, apart from sockets: one request head in, one full response out.
//   GET|HEAD /v1/metrics[?…]  → 200, the registry in the text format (HEAD: no body)
//   other methods on it        → 405;  other paths → 404;  an unparsable request line → 400
// Every response is HTTP/1.1 with Content-Length and Connection: close.
#pragma once

#include <string>
#include <string_view>

#include "metrics/registry.h"

namespace berth::metrics {

inline constexpr std::string_view kMetricsPath = "/v1/metrics";

// `head` is the request up to its blank line (a body, if any, is ignored).
std::string RespondToRequest(std::string_view head, const Registry& registry);

// A complete response with a plain-text body, e.g. for 431 when the head is too large.
std::string PlainResponse(int code, std::string_view reason, std::string_view body);

}  // namespace berth::metrics
