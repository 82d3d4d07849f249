#include "plugins/remotes/reference.h"

#include <cctype>

#include "base/status.h"

namespace berth::remotes {
namespace {

constexpr std::string_view kDockerHub = "docker.io";

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component: [a-z0-9]+ runs joined by exactly one separator: ".", "_", "__" or "-"+ (distribution's
// grammar).
bool ValidComponent(std::string_view c) {
  size_t i = 0;
  for (;;) {
    size_t run = i;
    while (i < c.size() && IsLowerAlnum(c[i])) ++i;
    if (i == run) return false;  // empty, or a separator not followed by a letter or digit
    if (i == c.size()) return true;
    if (c[i] == '.') {
      ++i;
    } else if (c[i] == '_') {
      i += (i + 1 < c.size() && c[i + 1] == '_') ? 2 : 1;
    } else if (c[i] == '-') {
      while (i < c.size() && c[i] == '-') ++i;
    } else {
      return false;
    }
  }
}

bool ValidTag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!(word || (i > 0 && (c == '.' || c == '-')))) return false;
  }
  return true;
}

bool ValidHost(std::string_view h) {
  if (h.empty()) return false;
  for (char c : h) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' ||
          c == ']')) {
      return false;
    }
  }
  return true;
}

// The first component names a registry when it looks like a host: has a dot or a port, or is localhost.
bool LooksLikeHost(std::string_view first) {
  return first.find_first_of(".:") != std::string_view::npos || first == "localhost";
}

}  // namespace

absl::StatusOr<Reference> Reference::Parse(std::string_view s) {
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format("invalid image reference \"{}\": {}", s, why));
  };
  Reference ref;
  std::string_view rest = s;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    absl::StatusOr<Digest> digest = Digest::Parse(rest.substr(at + 1));
    if (!digest.ok()) return invalid("bad digest (want sha256:<64 lowercase hex>)");
    ref.digest = *digest;
    rest = rest.substr(0, at);
  }
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    if (!ValidTag(ref.tag)) return invalid("bad tag");
    rest = rest.substr(0, colon);
  }
  size_t first_slash = rest.find('/');
  if (first_slash != std::string_view::npos && LooksLikeHost(rest.substr(0, first_slash))) {
    ref.registry = std::string(rest.substr(0, first_slash));
    rest = rest.substr(first_slash + 1);
    if (!ValidHost(ref.registry)) return invalid("bad registry host");
  } else {
    ref.registry = std::string(kDockerHub);
  }
  if (ref.registry == "index.docker.io" || ref.registry == "registry-1.docker.io") {
    ref.registry = std::string(kDockerHub);
  }
  if (rest.empty()) return invalid("empty repository");
  for (size_t start = 0;;) {
    size_t end = rest.find('/', start);
    std::string_view component = rest.substr(start, end == std::string_view::npos ? end : end - start);
    if (!ValidComponent(component)) {
      return invalid(fmt::format("bad repository component \"{}\" (lowercase letters, digits, separators)",
                                 component));
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  ref.repository = std::string(rest);
  if (ref.registry == kDockerHub && ref.repository.find('/') == std::string::npos) {
    ref.repository = "library/" + ref.repository;
  }
  if (ref.repository.size() > 255) return invalid("repository longer than 255 characters");
  if (ref.tag.empty() && !ref.digest) ref.tag = "latest";
  return ref;
}

std::string Reference::ApiHost() const {
  return registry == kDockerHub ? "registry-1.docker.io" : registry;
}

std::string Reference::Object() const { return digest ? digest->str() : tag; }

std::string Reference::String() const {
  std::string out = registry + "/" + repository;
  if (!tag.empty()) out += ":" + tag;
  if (digest) out += "@" + digest->str();
  return out;
}

}  // namespace berth::remotes
