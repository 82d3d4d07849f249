// Publishes task events to containerd over ttrpc (Events.Forward on TTRPC_ADDRESS), in order, from one thread
// with one persistent connection. A failed event is retried after n seconds (n = attempt), at most 5 times, then
// dropped with a log line, as containerd's shims do. Publish never blocks the caller.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "shim/events.h"
#include "ttrpc/client.h"

namespace berth::shim {

class Publisher {
 public:
  // `address`: containerd's ttrpc socket path ("" = events are dropped, e.g. without TTRPC_ADDRESS).
  Publisher(std::string address, std::string ns);
  ~Publisher();

  void Publish(Event event);
  // Waits (bounded) until every queued event is sent or dropped, e.g. before the shim exits.
  bool Drain(std::chrono::milliseconds timeout);

 private:
  struct Queued {
    Event event;
    Timestamp at;
    int attempts = 0;
  };
  void Run();
  absl::Status Send(const Queued& q);

  std::string address_, ns_;
  std::unique_ptr<ttrpc::Client> client_;  // publisher thread only
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Queued> queue_;
  bool sending_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace berth::shim
