#include "plugins/content/local/ref_locks.h"

#include "fmt/format.h"

namespace berth::content {

RefLocks::Lock& RefLocks::Lock::operator=(Lock&& o) noexcept {
  if (this != &o) {
    Release();
    table_ = std::exchange(o.table_, nullptr);
    ref_ = std::move(o.ref_);
  }
  return *this;
}

void RefLocks::Lock::Release() {
  RefLocks* table = std::exchange(table_, nullptr);
  if (table == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(table->mu_);
    table->held_.erase(ref_);
  }
  table->released_.notify_all();
}

absl::StatusOr<RefLocks::Lock> RefLocks::TryLock(const std::string& ref, absl::Duration grace) {
  std::unique_lock<std::mutex> lock(mu_);
  bool free = released_.wait_for(lock, absl::ToChronoNanoseconds(grace), [&] { return !held_.contains(ref); });
  if (!free || !held_.insert(ref).second) {
    return absl::UnavailableError(fmt::format("ref {} locked", ref));
  }
  return Lock(this, ref);
}

}  // namespace berth::content
