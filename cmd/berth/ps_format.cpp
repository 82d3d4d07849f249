#include "ps_format.h"

#include <algorithm>

#include "fmt/format.h"

namespace berth::cli {

std::string HumanDuration(absl::Duration d) {
  int64_t seconds = absl::ToInt64Seconds(d);
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return fmt::format("{} seconds", seconds);
  int64_t minutes = absl::ToInt64Minutes(d);
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return fmt::format("{} minutes", minutes);
  int64_t hours = static_cast<int64_t>(absl::ToDoubleHours(d) + 0.5);  // rounded, as go-units
  if (hours == 1) return "About an hour";
  if (hours < 48) return fmt::format("{} hours", hours);
  if (hours < 24 * 7 * 2) return fmt::format("{} days", hours / 24);
  if (hours < 24 * 30 * 2) return fmt::format("{} weeks", hours / 24 / 7);
  if (hours < 24 * 365 * 2) return fmt::format("{} months", hours / 24 / 30);
  return fmt::format("{} years", absl::ToInt64Hours(d) / 24 / 365);
}

std::string StatusText(const TaskView& task, absl::Time now) {
  if (!task.present || task.status == "created") return "Created";
  if (task.status == "running" || task.status == "paused") {
    std::string up = "Up";
    if (task.started_at != absl::InfinitePast()) up += " " + HumanDuration(now - task.started_at);
    return task.status == "paused" ? up + " (Paused)" : up;
  }
  if (task.status == "pausing") return "Pausing";
  if (task.status == "stopped") {
    std::string s = fmt::format("Exited ({})", task.exit_code);
    if (task.exited_at != absl::InfinitePast() && task.exited_at > absl::UnixEpoch()) {
      s += " " + HumanDuration(now - task.exited_at) + " ago";
    }
    if (!task.reason.empty() && task.reason != "exited") s += ", " + task.reason;
    return s;
  }
  return "Unknown";
}

std::string CommandText(const std::vector<std::string>& args, size_t width) {
  std::string joined;
  for (const auto& a : args) joined += (joined.empty() ? "" : " ") + a;
  if (joined.size() > width) {
    size_t cut = width > 3 ? width - 3 : 0;
    while (cut > 0 && (static_cast<unsigned char>(joined[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 char
    joined = joined.substr(0, cut) + "...";
  }
  return "\"" + joined + "\"";
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 3, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace berth::cli
