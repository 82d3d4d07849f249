// The mark phase of a tracing collector (containerd's gc.Tricolor), over an abstract graph:
// everything reachable from `roots` along `refs` is live; whatever a caller's sweep finds outside
// the result is garbage.
//
// Iterative (an explicit gray stack), so a snapshot chain of any length cannot overflow the call
// stack; cycles and nodes shared by many referrers are visited once. A reference to an object that
// does not exist is harmless: `refs` answers nothing for it, and the sweep never sees it.
//
// Correct use needs the graph not to change between the mark and the sweep that uses its result:
// the metadata collector runs both in one write transaction.
#pragma once

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "gc/node.h"

namespace berth::gc {

// Calls `emit` for every node `node` references (duplicates allowed). An error stops the mark.
using RefsFn = std::function<absl::Status(const Node& node, const std::function<void(Node)>& emit)>;

// The reachable set: the roots and everything reachable from them.
absl::StatusOr<NodeSet> Mark(const std::vector<Node>& roots, const RefsFn& refs);

}  // namespace berth::gc
