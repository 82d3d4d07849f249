// A scripted HTTP peer on 127.0.0.1 for the HTTP client's tests: each accepted connection runs `handler` on its
// own thread with the socket and the connection's index. Real sockets, no fakes of the client's I/O.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace berth::remotes::testing {

class LoopbackServer {
 public:
  using Handler = std::function<void(int fd, int index)>;
  explicit LoopbackServer(Handler handler);
  ~LoopbackServer();  // closes the listener and joins every connection thread

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_.load(); }

  // Reads one request head (up to the blank line); "" if the peer closed first.
  static std::string ReadHead(int fd);
  static void Send(int fd, const std::string& data);

 private:
  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> connections_;
};

}  // namespace berth::remotes::testing
