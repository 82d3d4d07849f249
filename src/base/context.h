// The request context every core method takes first: who is asking (namespace), under which lease, until when.
// services/ fills it from the gRPC metadata keys `containerd-namespace` and `containerd-lease`.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "absl/time/time.h"

namespace berth {

struct Context {
  std::string ns;     // containerd namespace; empty when the caller has none (then namespaced calls fail)
  std::string lease;  // lease id from `containerd-lease`, empty for none
  absl::Time deadline = absl::InfiniteFuture();
  // Set by the transport when the client goes away; long operations poll it. Null means never cancelled.
  std::shared_ptr<const std::atomic<bool>> cancelled;

  bool Cancelled() const { return cancelled && cancelled->load(std::memory_order_relaxed); }
};

}  // namespace berth
