// Single-flight: concurrent calls for one key run the work once; the others wait for that result instead of
// repeating it (or failing). Used so that concurrent pulls, in any namespace, fetch each blob once.
//
//   SingleFlight<absl::Status> fetches;
//   auto [status, leader] = fetches.Do(digest.str(), ctx, [&] { return Fetch(digest); });
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "base/context.h"

namespace berth::transfer {

template <typename T>
class SingleFlight {
 public:
  struct Result {
    T value;
    bool leader;  // this call did the work; false: it waited for another call's result
  };

  // Runs `fn` unless a call for `key` is in flight, in which case it waits for that call's result. A waiter
  // whose ctx is cancelled stops waiting and gets `on_cancel` (the work goes on for the others).
  Result Do(const std::string& key, const Context& ctx, const std::function<T()>& fn, T on_cancel) {
    std::shared_future<T> future;
    std::promise<T> promise;
    bool leader = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = calls_.find(key);
      if (it == calls_.end()) {
        future = promise.get_future().share();
        calls_.emplace(key, future);
        leader = true;
      } else {
        future = it->second;
      }
    }
    if (leader) {
      T value = fn();
      {
        std::lock_guard<std::mutex> lock(mu_);
        calls_.erase(key);
      }
      promise.set_value(value);
      return {std::move(value), true};
    }
    while (future.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
      if (ctx.Cancelled()) return {std::move(on_cancel), false};
    }
    return {future.get(), false};
  }

  size_t in_flight() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_.size();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_future<T>> calls_;
};

}  // namespace berth::transfer
