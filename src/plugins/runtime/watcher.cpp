#include "plugins/runtime/watcher.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>

#include "base/log.h"
#include "base/status.h"

namespace berth::runtime {

absl::StatusOr<std::unique_ptr<Watcher>> Watcher::Start() {
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll.valid()) return ErrnoStatus(errno, "epoll_create1", "shim watcher");
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) return ErrnoStatus(errno, "eventfd", "shim watcher");
  struct epoll_event ev = {.events = EPOLLIN, .data = {.u64 = 0}};  // token 0: stop
  if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake.get(), &ev) != 0) return ErrnoStatus(errno, "epoll_ctl", "wake");
  std::unique_ptr<Watcher> w(new Watcher(std::move(epoll), std::move(wake)));
  w->thread_ = std::thread([p = w.get()] { p->Loop(); });
  return w;
}

void Watcher::Stop() {
  uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int> Watcher::Add(Entry entry) {
  std::lock_guard lock(mu_);
  int token = next_token_++;
  struct epoll_event ev = {.events = EPOLLIN, .data = {.u64 = static_cast<uint64_t>(token)}};
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, entry.fd.get(), &ev) != 0) {
    return ErrnoStatus(errno, "epoll_ctl", "watch");
  }
  entries_[token] = std::make_shared<Entry>(std::move(entry));
  return token;
}

absl::StatusOr<int> Watcher::WatchExit(UniqueFd pidfd, std::function<void()> on_exit) {
  return Add({.fd = std::move(pidfd), .on_exit = std::move(on_exit)});
}

absl::StatusOr<int> Watcher::DrainLog(UniqueFd fd, std::string name) {
  return Add({.fd = std::move(fd), .name = std::move(name)});
}

void Watcher::Unwatch(int token) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(token);
  if (it == entries_.end()) return;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second->fd.get(), nullptr);
  entries_.erase(it);  // closes the fd (unless the loop still holds the entry: then when it lets go)
}

void Watcher::Loop() {
  struct epoll_event events[16];
  while (true) {
    int n = ::epoll_wait(epoll_.get(), events, 16, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      log::Error("shim watcher: epoll_wait: {}", std::strerror(errno));
      return;
    }
    for (int i = 0; i < n; ++i) {
      int token = static_cast<int>(events[i].data.u64);
      if (token == 0) return;
      std::shared_ptr<Entry> entry;
      {
        std::lock_guard lock(mu_);
        auto it = entries_.find(token);
        if (it == entries_.end()) continue;
        entry = it->second;
        if (entry->on_exit) {  // one-shot
          ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, entry->fd.get(), nullptr);
          entries_.erase(it);
        }
      }
      if (entry->on_exit) {
        entry->on_exit();
        continue;
      }
      char buf[4096];
      ssize_t got = ::read(entry->fd.get(), buf, sizeof buf);
      if (got <= 0) continue;  // we hold a write end too (O_RDWR), so never EOF; EAGAIN is spurious
      entry->partial.append(buf, got);
      size_t nl;
      while ((nl = entry->partial.find('\n')) != std::string::npos) {
        log::Info("{}: {}", entry->name, entry->partial.substr(0, nl));
        entry->partial.erase(0, nl + 1);
      }
      if (entry->partial.size() > 8192) entry->partial.clear();
    }
  }
}

}  // namespace berth::runtime
