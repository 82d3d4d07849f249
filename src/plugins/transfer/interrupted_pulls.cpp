#include "base/status.h"
#include "plugins/transfer/puller.h"

namespace berth::transfer {

absl::StatusOr<int> DropInterruptedPulls(namespaces::Store& namespaces, leases::Manager& leases) {
  int dropped = 0;
  ASSIGN_OR_RETURN(std::vector<std::string> names, namespaces.List());
  for (const std::string& ns : names) {
    Context ctx{.ns = ns};
    ASSIGN_OR_RETURN(std::vector<leases::Lease> list, leases.List(ctx, {}));
    for (const leases::Lease& lease : list) {
      if (!lease.labels.contains(std::string(kPullLeaseLabel))) continue;
      absl::Status s = leases.Delete(ctx, lease.id);
      if (!s.ok() && !absl::IsNotFound(s)) return s;
      ++dropped;
    }
  }
  return dropped;
}

}  // namespace berth::transfer
