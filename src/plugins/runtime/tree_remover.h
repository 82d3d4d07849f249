// Removes directory trees on a thread of its own, in order, so a caller that has moved a tree out of the way does
// not wait for its files to go (on ext4 each unlink of a file with data is a journal update). What is still
// queued when it is destroyed stays on disk: whoever names such trees removes leftovers at start.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace berth::runtime {

class TreeRemover {
 public:
  TreeRemover();
  ~TreeRemover();  // lets the removal under way finish; drops the rest
  TreeRemover(const TreeRemover&) = delete;
  TreeRemover& operator=(const TreeRemover&) = delete;

  void Remove(std::string path);

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: it uses the members above
};

}  // namespace berth::runtime
