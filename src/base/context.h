// The request context every core method takes first: who is asking (namespace), under which lease, until when.
// services/ fills it from the gRPC metadata keys `containerd-namespace` and `containerd-lease`.
#pragma once

#include <functional>
#include <string>

#include "absl/time/time.h"

namespace berth {

struct Context {
  std::string ns;     // containerd namespace; empty when the caller has none (then namespaced calls fail)
  std::string lease;  // lease id from `containerd-lease`, empty for none
  absl::Time deadline = absl::InfiniteFuture();
  // Answers true once the client has gone away; long operations poll it. Empty means never cancelled.
  std::function<bool()> is_cancelled;

  bool Cancelled() const { return is_cancelled && is_cancelled(); }
};

}  // namespace berth
