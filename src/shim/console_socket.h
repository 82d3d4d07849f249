// The socket runc's --console-socket sends a container's pty master to (SCM_RIGHTS), in a private 0700 temp dir
// so no other user can connect first. Removed on destruction.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace berth::shim {

class ConsoleSocket {
 public:
  static absl::StatusOr<std::unique_ptr<ConsoleSocket>> Create();
  ~ConsoleSocket();

  const std::string& path() const { return path_; }
  // Accepts runc's connection and returns the pty master it sends (close-on-exec).
  absl::StatusOr<UniqueFd> ReceiveMaster(std::chrono::milliseconds timeout);

 private:
  ConsoleSocket(std::string dir, std::string path, UniqueFd listener)
      : dir_(std::move(dir)), path_(std::move(path)), listener_(std::move(listener)) {}
  std::string dir_, path_;
  UniqueFd listener_;
};

}  // namespace berth::shim
