#include "fmt/format.h"
#include "core/namespaces/namespaces.h"

namespace berth::namespaces {

namespace {
bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsSeparator(char c) { return c == '.' || c == '_' || c == '-'; }
}  // namespace

absl::Status ValidateName(const std::string& name) {
  constexpr size_t kMaxLength = 76;
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(fmt::format("namespace \"{}\": {}", name.substr(0, 100), why));
  };
  if (name.empty()) return invalid("identifier must not be empty");
  if (name.size() > kMaxLength) return invalid(fmt::format("identifier longer than {}", kMaxLength));
  // Alphanumeric runs joined by single separators, no separator at either end.
  bool prev_sep = true;
  for (char c : name) {
    if (IsAlnum(c)) {
      prev_sep = false;
    } else if (IsSeparator(c) && !prev_sep) {
      prev_sep = true;
    } else {
      return invalid("identifier must match [A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*");
    }
  }
  if (prev_sep) return invalid("identifier must match [A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*");
  return absl::OkStatus();
}

}  // namespace berth::namespaces
