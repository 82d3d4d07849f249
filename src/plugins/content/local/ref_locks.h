// The per-ref lock table: one writer (or one Abort) per ingest ref at a time.
//
// In-process is enough because only berthd opens the store's root. The table's mutex is held only
// to insert or erase a name, never while data is written, so writers on distinct refs never wait
// for each other.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <unordered_set>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace berth::content {

class RefLocks {
 public:
  // Holds one ref until destroyed or Released. Move-only.
  class Lock {
   public:
    Lock() = default;
    Lock(Lock&& o) noexcept : table_(std::exchange(o.table_, nullptr)), ref_(std::move(o.ref_)) {}
    Lock& operator=(Lock&& o) noexcept;
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    ~Lock() { Release(); }

    void Release();
    bool held() const { return table_ != nullptr; }

   private:
    friend class RefLocks;
    Lock(RefLocks* table, std::string ref) : table_(table), ref_(std::move(ref)) {}
    RefLocks* table_ = nullptr;
    std::string ref_;
  };

  // Unavailable ("ref <ref> locked") if the ref is still held after `grace`. The short grace covers a client
  // that closes a write stream and reopens the same ref at once: the server may not have torn the first
  // stream down yet. A writer that is really busy still answers Unavailable, as containerd's does.
  absl::StatusOr<Lock> TryLock(const std::string& ref, absl::Duration grace = absl::Milliseconds(250));

 private:
  std::mutex mu_;
  std::condition_variable released_;
  std::unordered_set<std::string> held_;  // guarded by mu_
};

}  // namespace berth::content
