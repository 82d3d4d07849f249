#include "plugins/snapshots/storage/info_filter.h"

#include "base/status.h"
#include "filters/filter.h"
#include "plugins/snapshots/storage/metastore.h"

namespace berth::snapshots::storage {
namespace {

// As containerd's storage adaptSnapshot: kind in lower case.
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

absl::Status WalkInfo(const LmdbTxn& txn, const std::vector<std::string>& filters,
                      const std::function<absl::Status(const Info&)>& fn) {
  ASSIGN_OR_RETURN(filters::Filter filter, filters::Filter::Parse(filters));
  return MetaStore::Walk(txn, [&](const Record& r) -> absl::Status {
    const Info& info = r.info;
    bool match = filter.Match([&](const std::vector<std::string>& path) -> std::optional<std::string> {
      if (path.empty()) return std::nullopt;
      if (path[0] == "kind") return KindName(info.kind);
      if (path[0] == "name") return info.name;
      if (path[0] == "parent") return info.parent;
      if (path[0] == "labels") {
        return filters::LabelLookup(info.labels, std::vector<std::string>(path.begin() + 1, path.end()));
      }
      return std::nullopt;
    });
    return match ? fn(info) : absl::OkStatus();
  });
}

}  // namespace berth::snapshots::storage
