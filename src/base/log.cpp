#include "base/log.h"

#include <unistd.h>

#include <atomic>
#include <ctime>

namespace berth::log {

namespace {
std::atomic<Level> g_level{Level::kInfo};
constexpr const char* kNames[] = {"trace", "debug", "info", "warn", "error", "off"};
}  // namespace

absl::StatusOr<Level> ParseLevel(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(Level::kOff); ++i) {
    if (name == kNames[i]) return static_cast<Level>(i);
  }
  if (name == "warning") return Level::kWarn;
  return absl::InvalidArgumentError(
      fmt::format("unknown log level \"{}\": want trace, debug, info, warn, error or off", name));
}

void SetLevel(Level level) { g_level.store(level, std::memory_order_relaxed); }

bool Enabled(Level level) { return level >= g_level.load(std::memory_order_relaxed); }

void Write(Level level, std::string_view message) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc;
  gmtime_r(&ts.tv_sec, &utc);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string line = fmt::format("{}.{:03d}Z {} {}\n", stamp, ts.tv_nsec / 1000000,
                                 kNames[static_cast<int>(level)], message);
  // One write per line keeps lines whole when threads log at once.
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
    if (n <= 0) return;  // nowhere to report a failed log write
    off += static_cast<size_t>(n);
  }
}

}  // namespace berth::log
