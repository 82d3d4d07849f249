// berth fsck: verifies what berthd stores against itself and, asked to, repairs it.
//   blobs     every blob read and hashed (two threads) against its digest and size; repair refetches it from its
//             recorded distribution source, or removes it when no namespace records it;
//   records   content records whose blob is missing (repair refetches, else drops the records), backend ingests no
//             record names (repair aborts them);
//   orphans   directories in the snapshotters' snapshot dirs that no snapshot owns (repair: the snapshotters'
//             Cleanup, the same sweep as gc; nothing metadata knows is touched);
//   snapshots committed snapshots against the layers they were unpacked from (layer_compare.h); repair
//             re-unpacks beside and swaps (snapshot_repair.h), refused for a mounted one without --force.
//   mounts    mounts under the root and state whose owner (a task's shim, a diff call) is gone
//             (doctor/leftover_mounts.h); repair unmounts them, lazily only when busy. Before the orphans: a
//             leftover mount pins the dirs the orphan sweep removes.
// Problems are streamed to a Sink as found; the run ends with one summary log line with counts and durations.
//
// Thread-safe; pointers are not owned and must outlive the checker.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "df/analyzer.h"
#include "doctor/leftover_mounts.h"
#include "fsck/problem.h"
#include "metadata/content_store.h"
#include "metadata/db.h"
#include "metadata/snapshot_store.h"
#include "plugins/content/local/local_store.h"
#include "plugins/diff/diff.h"
#include "plugins/remotes/registry.h"

namespace berth::fsck {

struct CheckerDeps {
  metadata::Db* db = nullptr;
  metadata::ContentStore* content = nullptr;
  content::LocalStore* blobs = nullptr;
  std::vector<metadata::SnapshotStore*> snapshotters;
  remotes::Registry* registry = nullptr;  // null: blobs are never refetched
  std::set<std::string> registry_hosts;  // the config's `registries` keys ("host:port")
  const df::Analyzer* analyzer = nullptr;
  diff::Applier* applier = nullptr;  // null: damaged snapshots are reported, never re-unpacked
  std::optional<doctor::LeftoverScope> mounts;  // nullopt: leftover mounts are not looked for
};

struct CheckOptions {
  bool repair = false;
  bool force = false;       // repair snapshots in use by running containers too
  bool plain_http = false;  // refetch over http://
  int threads = 2;          // blob hashing
};

class Checker {
 public:
  explicit Checker(CheckerDeps deps) : deps_(std::move(deps)) {}
  absl::StatusOr<Summary> Run(const CheckOptions& options, const Sink& sink) const;

 private:
  CheckerDeps deps_;
};

}  // namespace berth::fsck
