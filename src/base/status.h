// Status helpers shared by every module: early-return macros and context wrapping.
// Note: Debian's abseil is built as C++14, so absl::string_view is not std::string_view. Format messages with
// fmt::format and read them with std::string(status.message()); never pass std::string_view to absl::StrCat.
#pragma once

#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fmt/format.h"

namespace berth {

// Returns `s` with `context` prefixed to its message ("commit ref x: <message>"); the code is kept.
inline absl::Status WithContext(const absl::Status& s, std::string_view context) {
  if (s.ok()) return s;
  return absl::Status(s.code(), fmt::format("{}: {}", context, std::string(s.message())));
}

// An error that is deliberately ignored; `why` documents the reason at the call site.
inline void IgnoreError(const absl::Status& /*s*/, std::string_view /*why*/) {}

// errno → absl::Status with the operation and object named, e.g. ErrnoStatus(errno, "open", path).
absl::Status ErrnoStatus(int err, std::string_view op, std::string_view object);

}  // namespace berth

#define BERTH_CONCAT_INNER(a, b) a##b
#define BERTH_CONCAT(a, b) BERTH_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                         \
  do {                                                \
    if (absl::Status _st = (expr); !_st.ok()) return _st; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(BERTH_CONCAT(_status_or_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
