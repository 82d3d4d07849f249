// metadata::SnapshotStore: snapshots::Snapshotter with namespaces, labels and leases, around one
// backend snapshotter (overlayfs, native) that knows none of them. As containerd's
// metadata/snapshot.go:
//
// - Keys are per namespace: (ns, key) maps to the backend key "<ns>/<seq>/<key>", with `seq` a
//   per-snapshotter counter that never repeats, so one key in two namespaces (or a key reused after
//   Remove, while the old backend snapshot still awaits cleanup) never collides. Parents are
//   translated both ways.
// - Labels live here (validated as containerd's labels.Validate); the backend only gets the
//   inherited ones (containerd.io/snapshot/*, containerd.io/snapshot.ref). Stat, Update and Walk
//   answer labels, parent and times from the metadata record, the kind from the backend.
// - Reads see the caller's namespace only. The first write into a namespace creates it. Under
//   ctx.lease, Prepare, View and Commit add {type "snapshots/<snapshotter>", id key} to the lease
//   (NotFound if it does not exist), and Remove and Commit take the removed key off it.
// - Remove is FailedPrecondition while the snapshot has children in its namespace.
//
// Ordering (no LMDB write transaction is ever held during backend work, and a crash leaves only
// garbage):
// - Prepare/View: (1) a short write txn checks the key and the parent and takes a sequence number;
//   (2) the backend creates the snapshot; (3) one write txn records it (key, parent's child link,
//   lease). A crash between (2) and (3) leaves a backend snapshot nothing references: Cleanup
//   removes it.
// - Commit: (1) one write txn reserves the name with a record marked `committing` {key, backend
//   key, lease}, invisible to reads; (2) the backend commits; (3) one write txn turns the
//   reservation into the committed record and drops the Active key. If (2) fails the reservation
//   is dropped. After a crash, Open (and Cleanup) ask the backend whether the commit happened and
//   finish or drop each reservation, so no visible record ever names a backend snapshot that is
//   gone.
// - Remove: (1) one write txn deletes the record, its child link and its lease reference; (2) the
//   backend removes the snapshot. If (2) fails or never runs, the backend snapshot is garbage for
//   Cleanup.
// Cleanup takes this store's lock exclusively (every other call takes it shared), so it never
// mistakes a snapshot between steps (2) and (3) for garbage.
//
// Thread-safe. `db` is not owned and must outlive the store.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "core/snapshots/snapshotter.h"
#include "metadata/db.h"

namespace berth::metadata {

class SnapshotStore : public snapshots::Snapshotter {
 public:
  // `snapshotter` is the name clients use ("overlayfs", "native"). Finishes or drops the commits
  // a crash interrupted before returning.
  static absl::StatusOr<std::unique_ptr<SnapshotStore>> Open(
      Db* db, std::string snapshotter, std::shared_ptr<snapshots::Snapshotter> backend);

  const std::string& snapshotter() const { return snapshotter_; }
  // The backend, for operator tools (berth df/fsck) that read its disk layout and list backend
  // snapshots; every change must still go through this store.
  const std::shared_ptr<snapshots::Snapshotter>& backend() const { return backend_; }
  // Called after every successful Remove, so garbage collection can follow (metadata/gc_collector.h). Set
  // before the store is shared.
  void set_on_delete(std::function<void()> fn) { on_delete_ = std::move(fn); }

  absl::StatusOr<snapshots::Info> Stat(const Context& ctx, const std::string& key) override;
  // Paths: "labels" or "labels.<key>" ("" deletes); none = replace all labels; anything else is
  // InvalidArgument.
  absl::StatusOr<snapshots::Info> Update(const Context& ctx, const snapshots::Info& info,
                                         const std::vector<std::string>& fieldpaths) override;
  absl::StatusOr<snapshots::Usage> GetUsage(const Context& ctx, const std::string& key) override;
  absl::StatusOr<std::vector<mount::Mount>> Mounts(const Context& ctx,
                                                   const std::string& key) override;
  absl::StatusOr<std::vector<mount::Mount>> Prepare(const Context& ctx, const std::string& key,
                                                    const std::string& parent,
                                                    const snapshots::Options& opts) override;
  absl::StatusOr<std::vector<mount::Mount>> View(const Context& ctx, const std::string& key,
                                                 const std::string& parent,
                                                 const snapshots::Options& opts) override;
  // `opts.labels` become the committed snapshot's labels (the Active key's labels are not carried
  // over, as containerd).
  absl::Status Commit(const Context& ctx, const std::string& name, const std::string& key,
                      const snapshots::Options& opts) override;
  absl::Status Remove(const Context& ctx, const std::string& key) override;
  // Filter fields: kind (active, view, committed), name, parent, labels.<key>. Sorted by name.
  absl::Status Walk(const Context& ctx, const std::vector<std::string>& filters,
                    const std::function<absl::Status(const snapshots::Info&)>& fn) override;
  // For every namespace at once: resolves interrupted commits, removes the backend snapshots no
  // record references (children first), then runs the backend's own Cleanup.
  absl::Status Cleanup(const Context& ctx) override;
  // The same, calling `removed(backend_key)` after each backend snapshot it removes (gc counts them
  // and reports progress). Called under this store's exclusive lock: it must not call into the store.
  absl::Status Cleanup(const Context& ctx,
                       const std::function<void(const std::string& backend_key)>& removed);

 private:
  SnapshotStore(Db* db, std::string snapshotter, std::shared_ptr<snapshots::Snapshotter> backend)
      : db_(db), snapshotter_(std::move(snapshotter)), backend_(std::move(backend)) {}

  absl::StatusOr<std::vector<mount::Mount>> Create(const Context& ctx, const std::string& key,
                                                   const std::string& parent, snapshots::Kind kind,
                                                   const snapshots::Options& opts);
  // The backend key of (ns, key); NotFound if there is no such snapshot.
  absl::StatusOr<std::string> ResolveKey(const Context& ctx, const std::string& key);
  // Finishes or drops every reserved commit; the caller holds lock_ exclusively.
  absl::Status RecoverCommits(const Context& ctx);
  std::string LeaseType() const { return "snapshots/" + snapshotter_; }
  absl::StatusOr<uint64_t> TakeSequence();

  Db* db_;
  const std::string snapshotter_;
  const std::shared_ptr<snapshots::Snapshotter> backend_;
  std::shared_mutex lock_;  // shared by every call, exclusive for Cleanup and recovery
  // Sequence numbers for Prepare and View, reserved kSequenceBlock at a time in `meta`, so taking one needs no
  // commit of its own before the disk work. Numbers a restart skips are never used: backend keys need only be
  // unique. Commit takes its number in its own transaction, past any reserved block.
  static constexpr uint64_t kSequenceBlock = 1024;
  std::mutex sequence_mu_;
  uint64_t sequence_next_ = 0;  // 0: no block reserved yet
  uint64_t sequence_last_ = 0;
  std::function<void()> on_delete_;
};

// The snapshotters that hold snapshots in namespace `ns`, sorted; for the namespace-emptiness
// check.
absl::StatusOr<std::vector<std::string>> SnapshottersInNamespace(const Txn& txn,
                                                                 const std::string& ns);

}  // namespace berth::metadata
