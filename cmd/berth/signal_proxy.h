// Forwards the signals a foreground `berth run` (without -t) receives to its task, as `docker run --sig-proxy`:
// SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2. The process's exit status then tells how it ended.
//
//   SignalProxy proxy(g);          // first, before any thread or gRPC channel exists: blocks the signals
//   ... pull, create the container and the task ...
//   proxy.ForwardTo(id);           // from here on each signal becomes a Kill of the task
//
// Before ForwardTo, a signal ends berth as it would without the proxy (default action): a Ctrl-C during a long
// pull still stops it. One thread, woken every 100 ms to notice the destructor.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "client.h"

namespace berth::cli {

class SignalProxy {
 public:
  explicit SignalProxy(const Globals& g);
  ~SignalProxy();
  SignalProxy(const SignalProxy&) = delete;
  SignalProxy& operator=(const SignalProxy&) = delete;

  void ForwardTo(const std::string& container_id);

 private:
  void Loop();
  void Deliver(int sig);

  const Globals& g_;
  std::set<int> ignored_;  // signals berth was started with SIG_IGN for
  std::mutex mu_;
  std::string container_id_;  // "" until ForwardTo
  std::atomic<bool> stop_ = false;
  std::thread thread_;
};

}  // namespace berth::cli
