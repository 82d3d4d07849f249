#include "doctor/id_map.h"

#include <fstream>
#include <sstream>

#include "base/status.h"
#include "doctor/split.h"
#include "fmt/format.h"

namespace berth::doctor {

namespace {

bool Contains(uint32_t first, uint32_t count, uint32_t id) {
  return id >= first && static_cast<uint64_t>(id) < static_cast<uint64_t>(first) + count;
}

}  // namespace

absl::StatusOr<IdMap> ParseIdMap(std::string_view text) {
  IdMap map;
  int line_number = 0;
  for (std::string_view line : SplitAny(text, "\n")) {
    ++line_number;
    std::vector<std::string_view> f = SplitAny(line, " \t");
    if (f.empty()) continue;
    IdRange r;
    if (f.size() != 3 || !ParseDecimal(f[0], &r.inside) || !ParseDecimal(f[1], &r.outside) ||
        !ParseDecimal(f[2], &r.count)) {
      return absl::InvalidArgumentError(
          fmt::format("id map line {} is not \"inside outside count\": {:.100}", line_number, line));
    }
    map.push_back(r);
  }
  return map;
}

absl::StatusOr<IdMap> ReadIdMap(const std::string& path) {
  std::ifstream in(path);
  if (!in) return ErrnoStatus(errno, "read", path);
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<IdMap> map = ParseIdMap(text.str());
  if (!map.ok()) return WithContext(map.status(), path);
  return map;
}

bool IsInitialNamespace(const IdMap& map) {
  return map.size() == 1 && map[0].inside == 0 && map[0].outside == 0 && map[0].count == 4294967295u;
}

bool MapsInside(const IdMap& map, uint32_t id) {
  for (const IdRange& r : map) {
    if (Contains(r.inside, r.count, id)) return true;
  }
  return false;
}

bool MapsOutside(const IdMap& map, uint32_t id) {
  for (const IdRange& r : map) {
    if (Contains(r.outside, r.count, id)) return true;
  }
  return false;
}

std::string FormatIdMap(const IdMap& map) {
  if (map.empty()) return "(empty)";
  std::string out;
  for (const IdRange& r : map) out += fmt::format("{}{}:{}:{}", out.empty() ? "" : ",", r.inside, r.outside, r.count);
  return out;
}

}  // namespace berth::doctor
