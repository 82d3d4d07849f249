// How `berth pull` shows progress: a bar per blob redrawn in place on a terminal, or one plain line per state
// change otherwise (logs, CI). Fed the server's snapshots; computes speed and ETA itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace berth::cli {

struct BlobView {
  std::string digest;
  std::string kind;
  int64_t total = 0;
  int64_t done = 0;
  std::string state;
};

// "1.5 MiB", "512 B".
std::string HumanBytes(double bytes);

class ProgressView {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ProgressView(bool terminal) : terminal_(terminal) {}

  // The text to write for this snapshot: on a terminal it moves the cursor up over the previous frame and
  // redraws it; otherwise the lines for blobs whose state changed since the last call.
  std::string Update(const std::vector<BlobView>& blobs, Clock::time_point now);

  // One blob's bar line (no newline), `width` columns for the bar.
  static std::string BarLine(const BlobView& b, double bytes_per_second, int width);

 private:
  struct Seen {
    std::string state;
    int64_t done = 0;
    Clock::time_point since;  // when `done` was sampled
    double speed = 0;         // bytes/s, smoothed
    Clock::time_point started;
  };
  bool terminal_;
  int lines_drawn_ = 0;
  std::map<std::string, Seen> seen_;
};

}  // namespace berth::cli
