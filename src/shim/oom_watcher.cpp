#include "shim/oom_watcher.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <sstream>

#include "base/close_on_exec.h"
#include "base/status.h"

namespace berth::shim {
namespace {

// The memory cgroup of pid: {"v1", path} from "N:memory:/path", else {"v2", path} from "0::/path".
absl::StatusOr<std::pair<bool, std::string>> MemoryCgroup(pid_t pid) {
  std::string file = fmt::format("/proc/{}/cgroup", pid);
  absl::StatusOr<std::string> text = ReadSmallFile(file);
  if (!text.ok()) return absl::NotFoundError(fmt::format("{}: process gone", file));
  std::istringstream in(*text);
  std::string line, unified;
  while (std::getline(in, line)) {
    auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1), path = line.substr(second + 1);
    std::stringstream list(controllers);
    for (std::string c; std::getline(list, c, ',');) {
      if (c == "memory") return std::make_pair(false, "/sys/fs/cgroup/memory" + path);
    }
    if (controllers.empty()) unified = path;
  }
  if (!unified.empty() && ::access(("/sys/fs/cgroup" + unified + "/memory.events").c_str(), R_OK) == 0) {
    return std::make_pair(true, "/sys/fs/cgroup" + unified);
  }
  return absl::NotFoundError(fmt::format("process {} has no memory cgroup", pid));
}

}  // namespace

absl::StatusOr<std::unique_ptr<OomWatcher>> OomWatcher::Start(pid_t pid, std::function<void()> on_oom) {
  ASSIGN_OR_RETURN(auto cgroup, MemoryCgroup(pid));
  std::unique_ptr<OomWatcher> w(new OomWatcher());
  w->v2_ = cgroup.first;
  w->dir_ = cgroup.second;
  w->on_oom_ = std::move(on_oom);
  w->stop_fd_.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!w->stop_fd_.valid()) return ErrnoStatus(errno, "eventfd", "oom watcher");
  if (w->v2_) {
    w->event_fd_.Reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    std::string events = w->dir_ + "/memory.events";
    if (!w->event_fd_.valid() || ::inotify_add_watch(w->event_fd_.get(), events.c_str(), IN_MODIFY) < 0) {
      return ErrnoStatus(errno, "inotify", events);
    }
    w->last_kills_ = w->OomKills();
  } else {
    std::string control = w->dir_ + "/memory.oom_control";
    w->control_fd_.Reset(::open(control.c_str(), O_RDONLY | O_CLOEXEC));
    if (!w->control_fd_.valid()) return ErrnoStatus(errno, "open", control);
    w->event_fd_.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!w->event_fd_.valid()) return ErrnoStatus(errno, "eventfd for", control);
    std::string registration = fmt::format("{} {}", w->event_fd_.get(), w->control_fd_.get());
    std::string event_control = w->dir_ + "/cgroup.event_control";
    UniqueFd ec(::open(event_control.c_str(), O_WRONLY | O_CLOEXEC));
    if (!ec.valid() || ::write(ec.get(), registration.data(), registration.size()) < 0) {
      return ErrnoStatus(errno, "register oom event in", event_control);
    }
  }
  w->thread_ = std::thread([raw = w.get()] { raw->Run(); });
  return w;
}

OomWatcher::~OomWatcher() {
  uint64_t one = 1;
  (void)!::write(stop_fd_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

uint64_t OomWatcher::OomKills() const {
  absl::StatusOr<std::string> text = ReadSmallFile(dir_ + "/memory.events");
  std::istringstream in(text.ok() ? *text : "");
  std::string key;
  uint64_t value;
  while (in >> key >> value) {
    if (key == "oom_kill") return value;
  }
  return 0;
}

void OomWatcher::Run() {
  while (true) {
    pollfd fds[2] = {{event_fd_.get(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0) return;
    char buf[4096];
    while (::read(event_fd_.get(), buf, sizeof buf) > 0) {
    }
    // v1 also signals the eventfd when the cgroup is removed: that is the end, not an OOM.
    if (::access(dir_.c_str(), F_OK) != 0) return;
    if (v2_) {
      uint64_t kills = OomKills();
      if (kills <= last_kills_) continue;
      last_kills_ = kills;
    }
    on_oom_();
  }
}

}  // namespace berth::shim
