// Striped mutexes keyed by a string (a digest): operations on the same key serialize, operations on different
// keys almost never contend, and memory stays fixed (no map of locks to grow and prune).
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <string_view>

namespace berth::metadata {

class KeyLocks {
 public:
  std::unique_lock<std::mutex> Lock(std::string_view key) {
    return std::unique_lock<std::mutex>(stripes_[std::hash<std::string_view>{}(key) % kStripes]);
  }

 private:
  static constexpr size_t kStripes = 64;
  std::array<std::mutex, kStripes> stripes_;
};

}  // namespace berth::metadata
