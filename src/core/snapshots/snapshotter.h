// The snapshotter contract (containerd's snapshots.Snapshotter): filesystem snapshots in parent chains.
//
// Kinds: an Active snapshot is writable and made by Prepare(key, parent); a View is a read-only Active-like
// snapshot made by View(key, parent); a Committed snapshot is made by Commit(name, key), which consumes the
// Active snapshot `key` and makes an immutable snapshot `name` that can be a parent. Keys and names share one
// namespace per snapshotter: Prepare/View/Commit of an existing key or name is AlreadyExists. A parent must be
// Committed (else NotFound/InvalidArgument as containerd). Remove of a snapshot that still has children is
// FailedPrecondition. Mounts of an Active/View snapshot give what to mount to see its tree; Committed snapshots
// have no mounts (use View). Usage: bytes and inodes this snapshot adds over its parent (for Active snapshots
// it is computed on demand).
//
// Implementations: plugins/snapshots/overlay (OverlaySnapshotter, default) and plugins/snapshots/native
// (NativeSnapshotter) on disk, unaware of namespaces; metadata/snapshot_store (namespaces, labels, leases, GC
// references) wrapping each. All thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/context.h"
#include "base/labels.h"
#include "core/mount/mount.h"

namespace berth::snapshots {

// Values as containerd's API (types Kind: UNKNOWN=0, VIEW=1, ACTIVE=2, COMMITTED=3).
enum class Kind { kUnknown = 0, kView = 1, kActive = 2, kCommitted = 3 };

struct Info {
  Kind kind = Kind::kUnknown;
  std::string name;    // key (Active/View) or name (Committed)
  std::string parent;  // name of the parent, empty for none
  Labels labels;
  absl::Time created_at;
  absl::Time updated_at;
};

struct Usage {
  int64_t size = 0;    // bytes
  int64_t inodes = 0;
};

struct Options {
  Labels labels;
};

class Snapshotter {
 public:
  virtual ~Snapshotter() = default;

  virtual absl::StatusOr<Info> Stat(const Context& ctx, const std::string& key) = 0;
  // `fieldpaths` empty: replace labels; else "labels" or "labels.<key>" entries. Kind/parent never change.
  virtual absl::StatusOr<Info> Update(const Context& ctx, const Info& info,
                                      const std::vector<std::string>& fieldpaths) = 0;
  virtual absl::StatusOr<Usage> GetUsage(const Context& ctx, const std::string& key) = 0;
  virtual absl::StatusOr<std::vector<mount::Mount>> Mounts(const Context& ctx, const std::string& key) = 0;
  virtual absl::StatusOr<std::vector<mount::Mount>> Prepare(const Context& ctx, const std::string& key,
                                                            const std::string& parent, const Options& opts) = 0;
  virtual absl::StatusOr<std::vector<mount::Mount>> View(const Context& ctx, const std::string& key,
                                                         const std::string& parent, const Options& opts) = 0;
  virtual absl::Status Commit(const Context& ctx, const std::string& name, const std::string& key,
                              const Options& opts) = 0;
  virtual absl::Status Remove(const Context& ctx, const std::string& key) = 0;
  // Filters in containerd's syntax over name, parent, kind, labels; empty = all.
  virtual absl::Status Walk(const Context& ctx, const std::vector<std::string>& filters,
                            const std::function<absl::Status(const Info&)>& fn) = 0;
  // Removes on-disk leftovers no snapshot owns (after crashes); containerd's Cleaner.
  virtual absl::Status Cleanup(const Context& ctx) = 0;
};

}  // namespace berth::snapshots
