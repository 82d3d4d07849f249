#include "plugins/runtime/tree_remover.h"

#include <filesystem>
#include <system_error>

#include "base/log.h"

namespace berth::runtime {

TreeRemover::TreeRemover() : thread_([this] { Run(); }) {}

TreeRemover::~TreeRemover() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void TreeRemover::Remove(std::string path) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(path));
  }
  cv_.notify_all();
}

void TreeRemover::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    std::string path = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) log::Warn("remove {}: {} (removed at the next start)", path, ec.message());
    lock.lock();
  }
}

}  // namespace berth::runtime
