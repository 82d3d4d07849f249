// Where the metrics endpoint listens: "HOST:PORT" with HOST an IP literal (IPv6 in brackets) or "localhost".
// Host names are not resolved (no DNS at start-up, no surprise interface). A non-loopback IP is accepted because
// the operator wrote it out; the daemon warns that the endpoint is then reachable from other hosts.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace berth::metrics {

struct ListenAddress {
  sockaddr_storage sockaddr{};
  socklen_t sockaddr_len = 0;
  bool loopback = false;
  std::string text;  // as the operator wrote it, for messages
};

// InvalidArgument naming `text` and the fix for: no host (":9090"), a host name, a bad IP or port.
absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text);

}  // namespace berth::metrics
