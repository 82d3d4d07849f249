#include "core/snapshots/info_fields.h"

namespace berth::snapshots {

namespace {
std::optional<std::string> KindName(Kind kind) {
  switch (kind) {
    case Kind::kActive:
      return "active";
    case Kind::kView:
      return "view";
    case Kind::kCommitted:
      return "committed";
    default:
      return std::nullopt;
  }
}
}  // namespace

filters::Adaptor AdaptInfo(const Info& info) {
  return [&info](const std::vector<std::string>& path) -> std::optional<std::string> {
    if (path.empty()) return std::nullopt;
    if (path[0] == "kind") return KindName(info.kind);
    if (path[0] == "name") return info.name;
    if (path[0] == "parent") return info.parent;
    if (path[0] == "labels") return filters::LabelLookup(info.labels, {path.begin() + 1, path.end()});
    return std::nullopt;
  };
}

}  // namespace berth::snapshots
