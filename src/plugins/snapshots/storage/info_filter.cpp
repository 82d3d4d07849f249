#include "plugins/snapshots/storage/info_filter.h"

#include "base/status.h"
#include "core/snapshots/info_fields.h"
#include "filters/filter.h"
#include "plugins/snapshots/storage/metastore.h"

namespace berth::snapshots::storage {

absl::Status WalkInfo(const LmdbTxn& txn, const std::vector<std::string>& filters,
                      const std::function<absl::Status(const Info&)>& fn) {
  ASSIGN_OR_RETURN(filters::Filter filter, filters::Filter::Parse(filters));
  return MetaStore::Walk(txn, [&](const Record& r) -> absl::Status {
    const Info& info = r.info;
    return filter.Match(AdaptInfo(info)) ? fn(info) : absl::OkStatus();
  });
}

}  // namespace berth::snapshots::storage
