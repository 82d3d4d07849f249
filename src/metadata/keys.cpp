#include "metadata/keys.h"

#include "digest/digest.h"

namespace berth::metadata {

namespace {
constexpr char kSeparator = '\x00';
constexpr char kEscape = '\x01';

void AppendEscapedBytes(std::string* out, std::string_view part) {
  for (char c : part) {
    if (c == kSeparator || c == kEscape) {
      out->push_back(kEscape);
      out->push_back(c == kSeparator ? '\x01' : '\x02');
    } else {
      out->push_back(c);
    }
  }
}
void AppendEscaped(std::string* out, std::string_view part) {
  std::string escaped;
  AppendEscapedBytes(&escaped, part);
  if (escaped.size() <= kMaxInlinePart) {
    out->append(escaped);
    return;
  }
  AppendEscapedBytes(out, part.substr(0, 32));
  out->push_back(kEscape);
  out->push_back('\x03');
  out->append(Digest::Of(part).hex());
}

}  // namespace

std::string Key(std::initializer_list<std::string_view> parts) {
  std::string out;
  bool first = true;
  for (std::string_view part : parts) {
    if (!first) out.push_back(kSeparator);
    first = false;
    AppendEscaped(&out, part);
  }
  return out;
}

std::string KeyPrefix(std::initializer_list<std::string_view> parts) {
  std::string out = Key(parts);
  out.push_back(kSeparator);
  return out;
}

std::vector<std::string> SplitKey(std::string_view key) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (c == kSeparator) {
      parts.emplace_back();
    } else if (c == kEscape && i + 1 < key.size()) {
      parts.back().push_back(key[++i] == '\x01' ? kSeparator : kEscape);
    } else {
      parts.back().push_back(c);
    }
  }
  return parts;
}

}  // namespace berth::metadata
