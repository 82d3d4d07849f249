// Who holds what: for every object the garbage collector can reach, the roots that reach it, named for people
// ("image <name>", "container <id>", "lease <id>", "gc.root", "ingest <ref>", "commit in flight"). The same roots
// and references as the collector (metadata/gc_graph.h), marked once per root instead of once for all, so an
// object no holder reaches is exactly what `berth gc` frees.
#pragma once

#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gc/node.h"
#include "metadata/db.h"

namespace berth::df {

using HolderMap = std::map<gc::Node, std::set<std::string>>;

// Reads within `txn`, so holders describe one consistent state.
absl::StatusOr<HolderMap> FindHolders(const metadata::Txn& txn, absl::Time now);

}  // namespace berth::df
