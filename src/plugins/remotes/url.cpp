#include "plugins/remotes/url.h"

#include <cctype>
#include <charconv>

#include "fmt/format.h"

namespace berth::remotes {
namespace {

int DefaultPort(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

std::string BracketIfV6(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

absl::StatusOr<Url> Url::Parse(std::string_view s) {
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format("invalid URL \"{}\": {}", s, why));
  };
  Url url;
  size_t sep = s.find("://");
  if (sep == std::string_view::npos) return invalid("no scheme");
  url.scheme = std::string(s.substr(0, sep));
  for (char& c : url.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (url.scheme != "http" && url.scheme != "https") return invalid("scheme is not http or https");
  std::string_view rest = s.substr(sep + 3);
  size_t path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  if (authority.find('@') != std::string_view::npos) return invalid("user info is not supported");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unterminated IPv6 address");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid("junk after IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return invalid("empty host");
  url.port = DefaultPort(url.scheme);
  if (!port_text.empty()) {
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), url.port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || url.port <= 0 || url.port > 65535) {
      return invalid("bad port");
    }
  }
  std::string_view target = path_start == std::string_view::npos ? "/" : rest.substr(path_start);
  target = target.substr(0, target.find('#'));
  url.target = target.empty() || target.front() != '/' ? "/" + std::string(target) : std::string(target);
  return url;
}

absl::StatusOr<Url> Url::Resolve(std::string_view location) const {
  if (location.find("://") != std::string_view::npos) return Parse(location);
  if (location.starts_with("//")) return Parse(scheme + ":" + std::string(location));
  Url out = *this;
  if (location.starts_with("/")) {
    out.target = std::string(location);
  } else {
    std::string base = target.substr(0, target.find('?'));
    out.target = base.substr(0, base.rfind('/') + 1) + std::string(location);
  }
  return out;
}

std::string Url::Authority() const {
  std::string h = BracketIfV6(host);
  return port == DefaultPort(scheme) ? h : h + ":" + std::to_string(port);
}

std::string Url::Endpoint() const { return BracketIfV6(host) + ":" + std::to_string(port); }

std::string QueryEscape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace berth::remotes
