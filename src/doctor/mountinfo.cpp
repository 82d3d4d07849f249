#include "doctor/mountinfo.h"

#include <fstream>
#include <sstream>

#include "base/status.h"
#include "doctor/split.h"
#include "fmt/format.h"

namespace berth::doctor {

namespace {

// The kernel escapes space, tab, newline, backslash (and in option values ',' and '=') as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' &&
        s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::string MountEntry::Option(std::string_view key) const {
  for (std::string_view opt : SplitAny(super_options, ",")) {
    if (opt.size() > key.size() && opt.substr(0, key.size()) == key && opt[key.size()] == '=') {
      return Unescape(opt.substr(key.size() + 1));
    }
  }
  return "";
}

absl::StatusOr<std::vector<MountEntry>> ParseMountInfo(std::string_view text) {
  std::vector<MountEntry> out;
  int line_number = 0;
  for (std::string_view line : SplitAny(text, "\n")) {
    ++line_number;
    // id parent major:minor root mount-point mount-options [optional fields...] - fs-type source super-options
    std::vector<std::string_view> f = SplitAny(line, " ");
    size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") ++dash;
    MountEntry e;
    if (f.size() < 6 || dash + 3 > f.size() || !ParseDecimal(f[0], &e.id) || !ParseDecimal(f[1], &e.parent_id)) {
      return absl::InvalidArgumentError(
          fmt::format("mountinfo line {} does not have the fields of proc(5): {:.200}", line_number, line));
    }
    e.root = Unescape(f[3]);
    e.mount_point = Unescape(f[4]);
    e.mount_options = std::string(f[5]);
    e.fs_type = Unescape(f[dash + 1]);
    e.source = Unescape(f[dash + 2]);
    e.super_options = dash + 3 < f.size() ? std::string(f[dash + 3]) : "";
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<std::vector<MountEntry>> ReadMountInfo(const std::string& path) {
  std::ifstream in(path);
  if (!in) return ErrnoStatus(errno, "read", path);
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::vector<MountEntry>> mounts = ParseMountInfo(text.str());
  if (!mounts.ok()) return WithContext(mounts.status(), path);
  return mounts;
}

bool IsAtOrBelow(std::string_view path, std::string_view prefix) {
  return path == prefix || IsBelow(path, prefix);
}

bool IsBelow(std::string_view path, std::string_view prefix) {
  if (prefix == "/") return path.size() > 1 && path[0] == '/';
  return path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix && path[prefix.size()] == '/';
}

std::vector<std::string> MountPointsBelow(const std::string& dir) {
  std::vector<std::string> out;
  absl::StatusOr<std::vector<MountEntry>> mounts = ReadMountInfo();
  if (!mounts.ok()) return out;
  for (const MountEntry& m : *mounts) {
    if (IsBelow(m.mount_point, dir)) out.push_back(m.mount_point);
  }
  return out;
}

}  // namespace berth::doctor
