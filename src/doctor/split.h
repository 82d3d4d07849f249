// Splitting text from /proc into views (Debian's abseil is C++14: its StrSplit does not take std::string_view).
#pragma once

#include <charconv>
#include <string_view>
#include <vector>

namespace berth::doctor {

// Pieces of `s` between any of `separators`; empty pieces are dropped.
inline std::vector<std::string_view> SplitAny(std::string_view s, std::string_view separators) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find_first_of(separators, start);
    if (end == std::string_view::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// A whole decimal number, nothing else around it.
template <typename Int>
bool ParseDecimal(std::string_view s, Int* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

}  // namespace berth::doctor
