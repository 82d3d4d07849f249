// The daemon's log: one line per event on stderr, "2026-01-02T03:04:05.678Z level message".
// Deliberately tiny (a level and one write(2) per line) instead of a logging library: berthd's idle memory is a
// goal, and the boundary layers log once per operation. Inner layers return a Status and stay quiet.
#pragma once

#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "fmt/format.h"

namespace berth::log {

enum class Level { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };

absl::StatusOr<Level> ParseLevel(std::string_view name);  // trace, debug, info, warn(ing), error, off
void SetLevel(Level level);
bool Enabled(Level level);
void Write(Level level, std::string_view message);

template <typename... Args>
void Log(Level level, fmt::format_string<Args...> format, Args&&... args) {
  if (Enabled(level)) Write(level, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void Debug(fmt::format_string<Args...> f, Args&&... a) { Log(Level::kDebug, f, std::forward<Args>(a)...); }
template <typename... Args>
void Info(fmt::format_string<Args...> f, Args&&... a) { Log(Level::kInfo, f, std::forward<Args>(a)...); }
template <typename... Args>
void Warn(fmt::format_string<Args...> f, Args&&... a) { Log(Level::kWarn, f, std::forward<Args>(a)...); }
template <typename... Args>
void Error(fmt::format_string<Args...> f, Args&&... a) { Log(Level::kError, f, std::forward<Args>(a)...); }

}  // namespace berth::log
