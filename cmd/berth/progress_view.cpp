#include "progress_view.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace berth::cli {

std::string HumanBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} {}", bytes, units[u]) : fmt::format("{:.1f} {}", bytes, units[u]);
}

namespace {

std::string ShortDigest(const std::string& digest) {
  size_t colon = digest.find(':');
  return digest.substr(colon == std::string::npos ? 0 : colon + 1, 12);
}

std::string Eta(double seconds) {
  if (seconds < 60) return fmt::format("{:.0f}s", seconds);
  if (seconds < 3600) return fmt::format("{:.0f}m{:02.0f}s", seconds / 60 - 0.5, std::fmod(seconds, 60.0));
  return fmt::format("{:.1f}h", seconds / 3600);
}

}  // namespace

std::string ProgressView::BarLine(const BlobView& b, double speed, int width) {
  double fraction = b.total > 0 ? std::clamp(static_cast<double>(b.done) / b.total, 0.0, 1.0) : 0.0;
  int filled = static_cast<int>(fraction * width);
  std::string bar(filled, '=');
  if (filled < width) bar += '>' + std::string(width - filled - 1, ' ');
  std::string rate;
  if (b.state == "downloading" && speed > 0) {
    rate = fmt::format("  {}/s  ETA {}", HumanBytes(speed), Eta((b.total - b.done) / speed));
  }
  return fmt::format("{:<8} {}  [{}] {:>10} / {:<10} {}{}", b.kind, ShortDigest(b.digest), bar,
                     HumanBytes(b.done), HumanBytes(b.total), b.state, rate);
}

std::string ProgressView::Update(const std::vector<BlobView>& blobs, Clock::time_point now) {
  std::string out;
  for (const BlobView& b : blobs) {
    auto [it, added] = seen_.try_emplace(b.digest, Seen{.since = now, .started = now});
    Seen& s = it->second;
    double dt = std::chrono::duration<double>(now - s.since).count();
    if (dt >= 0.5) {  // smooth over half-second windows: per-100-ms rates jump around
      double instant = (b.done - s.done) / dt;
      s.speed = s.speed == 0 ? instant : 0.5 * s.speed + 0.5 * instant;
      s.done = b.done;
      s.since = now;
    }
    if (!terminal_ && (added || s.state != b.state)) {
      double took = std::chrono::duration<double>(now - s.started).count();
      std::string extra = b.state == "done" && b.kind == "layer" ? fmt::format(" in {:.1f}s", took) : "";
      out += fmt::format("{} {} {} ({}){}\n", b.kind, b.digest, b.state, HumanBytes(b.total), extra);
    }
    s.state = b.state;
  }
  if (terminal_) {
    if (lines_drawn_ > 0) out += fmt::format("\x1b[{}A", lines_drawn_);  // back to the first line of the frame
    for (const BlobView& b : blobs) out += "\x1b[2K" + BarLine(b, seen_[b.digest].speed, 30) + "\n";
    lines_drawn_ = static_cast<int>(blobs.size());
  }
  return out;
}

}  // namespace berth::cli
