// The garbage-collection graph of the metadata tables (schema.md), as containerd's metadata/gc.go:
// which records are roots, what each record references, and which records a sweep may remove. Every
// function reads within the caller's transaction, so roots, references and candidates all describe
// one consistent state.
//
// Nodes (gc/node.h): content (ns, digest), snapshot (ns, "<snapshotter>/<key>"), lease (ns, id),
// ingest (ns, ref). Roots:
// - every image: its target digest, and whatever its gc.ref labels name;
// - every lease not expired (label containerd.io/gc.expire); it references its resources;
// - every content or snapshot record labelled containerd.io/gc.root;
// - every unleased ingest until its expire_at (a leased one lives as long as its lease holds it);
// - every snapshot name reserved by a commit in flight, and through it the Active snapshot it
//   commits;
// - whatever the extra root sources emit (containers, once the tasks issue adds them).
// References: content → content/snapshot by gc.ref labels; snapshot → parent and by gc.ref labels;
// ingest → the content it expects; lease → its resources.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gc/node.h"
#include "metadata/db.h"

namespace berth::metadata {

using EmitNode = std::function<void(gc::Node)>;

// A source of roots kept outside these tables (the containers store, from the tasks issue): it
// emits, within the same transaction, each container's snapshot node and what its gc.ref labels
// name.
using RootSource = std::function<absl::Status(const Txn& txn, const EmitNode& emit)>;

absl::Status ScanRoots(const Txn& txn, absl::Time now, const std::vector<RootSource>& extra,
                       const EmitNode& emit);

// The nodes `node` references; nothing for a node whose record does not exist (a dangling label is
// harmless).
absl::Status References(const Txn& txn, const gc::Node& node, const EmitNode& emit);

// A record a sweep removes when it is not marked.
struct Candidate {
  gc::Node node;
  int64_t bytes = 0;                       // a blob record's size
  std::string reason;                      // why it goes, when unmarked
  std::optional<std::string> backend_ref;  // an ingest's backend ingest, to abort after the commit
};

// Every content record, visible snapshot record, lease and ingest.
absl::Status ScanCandidates(const Txn& txn, const std::function<void(Candidate)>& fn);

// Removes the record of a candidate and its index entries (blob_refs, snapshot_children,
// lease_resources), so every invariant of schema.md holds when `txn` commits. A record already gone
// is not an error.
absl::Status RemoveRecord(WriteTxn& txn, const gc::Node& node);

}  // namespace berth::metadata
