#include "metrics/listen_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "fmt/format.h"

namespace berth::metrics {

namespace {

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("metrics address \"{}\": {}", text, why));
}

}  // namespace

absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return Invalid(text, "want HOST:PORT, e.g. 127.0.0.1:1338");
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return Invalid(text, "the port must be a number from 0 to 65535");
  }
  if (host.empty()) {
    return Invalid(text, "no host; write 127.0.0.1:PORT for this host only, or 0.0.0.0:PORT for every interface");
  }
  if (host == "localhost") host = "127.0.0.1";

  ListenAddress address;
  address.text = std::string(text);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    std::string ip(host.substr(1, host.size() - 2));
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&address.sockaddr);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET6, ip.c_str(), &in6->sin6_addr) != 1) return Invalid(text, "not an IPv6 address");
    address.sockaddr_len = sizeof(sockaddr_in6);
    address.loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
                       (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127);
    return address;
  }
  std::string ip(host);
  auto* in4 = reinterpret_cast<sockaddr_in*>(&address.sockaddr);
  in4->sin_family = AF_INET;
  in4->sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, ip.c_str(), &in4->sin_addr) != 1) {
    return Invalid(text, "the host must be an IP address (IPv6 in brackets) or localhost; names are not resolved");
  }
  address.sockaddr_len = sizeof(sockaddr_in);
  address.loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
  return address;
}

}  // namespace berth::metrics
