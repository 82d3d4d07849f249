// berthd's object graph: opens the stores under the root, builds the gRPC services on top of them, and serves
// them on the unix socket. Construction order is the plugin init order; everything is owned here and passed down.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/config.h"

namespace berth::server {

class Daemon {
 public:
  // Creates root/state (0700), locks the root, opens the stores and starts listening (socket 0660).
  static absl::StatusOr<std::unique_ptr<Daemon>> Open(const Config& config);
  ~Daemon();

  // Blocks until Shutdown (callable from another thread) has drained the server.
  void Wait();
  void Shutdown();

 private:
  struct Parts;
  explicit Daemon(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace berth::server
