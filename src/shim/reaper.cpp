#include "shim/reaper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/status.h"

extern char** environ;

namespace berth::shim {
namespace {
constexpr size_t kMaxUnclaimed = 1024;
}  // namespace

uint32_t ExitStatusFromWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return static_cast<uint32_t>(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return 128u + static_cast<uint32_t>(WTERMSIG(wait_status));
  return 255;
}

absl::StatusOr<std::unique_ptr<Reaper>> Reaper::Start() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return ErrnoStatus(errno, "prctl", "PR_SET_CHILD_SUBREAPER");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  if (int err = pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0) return ErrnoStatus(err, "block", "SIGCHLD");
  UniqueFd sfd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd.valid()) return ErrnoStatus(errno, "signalfd", "SIGCHLD");
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) return ErrnoStatus(errno, "eventfd", "reaper wake-up");
  std::unique_ptr<Reaper> reaper(new Reaper(std::move(sfd), std::move(wake)));
  reaper->thread_ = std::thread([r = reaper.get()] { r->Run(); });
  return reaper;
}

Reaper::Reaper(UniqueFd signal_fd, UniqueFd wake_fd) : signal_fd_(std::move(signal_fd)), wake_fd_(std::move(wake_fd)) {}

Reaper::~Reaper() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof one);
  thread_.join();
}

void Reaper::Run() {
  while (true) {
    pollfd fds[2] = {{signal_fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno != EINTR) return;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    signalfd_siginfo info;
    while (::read(signal_fd_.get(), &info, sizeof info) > 0) {
    }
    // Signals coalesce, so one SIGCHLD may stand for many exits: reap until none is left.
    ReapAll();
  }
}

void Reaper::ReapAll() {
  while (true) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    std::function<void(int)> callback;
    {
      std::lock_guard lock(mu_);
      if (auto c = commands_.find(pid); c != commands_.end()) {
        c->second = status;
        cv_.notify_all();
        continue;
      }
      if (auto w = watchers_.find(pid); w != watchers_.end()) {
        callback = std::move(w->second);
        watchers_.erase(w);
      } else {
        if (unclaimed_.size() >= kMaxUnclaimed) unclaimed_.erase(unclaimed_.begin());
        unclaimed_[pid] = status;
      }
    }
    if (callback) callback(status);
  }
}

absl::StatusOr<pid_t> Reaper::Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("spawn: empty command line");
  UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null_fd.valid()) return ErrnoStatus(errno, "open", "/dev/null");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  int stdio[3] = {options.stdin_fd, options.stdout_fd, options.stderr_fd};
  for (int target = 0; target < 3; ++target) {
    int fd = stdio[target] >= 0 ? stdio[target] : null_fd.get();
    // Our fds are all close-on-exec and above 2 (the daemon's 0-2 are /dev/null), so dup2 always clears the flag.
    posix_spawn_file_actions_adddup2(&actions, fd, target);
  }
  // Only stdio reaches runc (and through it the container), even an fd some library opened without O_CLOEXEC.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);  // the shim ignores SIGPIPE; commands get the default back
  sigaddset(&defaults, SIGCHLD);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int err;
  {
    // Registered under the lock, so the reaper cannot see the exit before it knows the pid is a command.
    std::lock_guard lock(mu_);
    err = ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), environ);
    if (err == 0) commands_[pid] = std::nullopt;
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) return ErrnoStatus(err, "spawn", options.argv[0]);
  if (options.nice != 0) ::setpriority(PRIO_PROCESS, static_cast<id_t>(pid), options.nice);
  return pid;
}

absl::StatusOr<int> Reaper::WaitCommand(pid_t pid, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  auto done = [&] { return commands_.count(pid) == 0 || commands_[pid].has_value(); };
  if (!cv_.wait_for(lock, timeout, done)) {
    ::kill(pid, SIGKILL);
    cv_.wait_for(lock, std::chrono::seconds(5), done);
    commands_.erase(pid);
    return absl::DeadlineExceededError(
        fmt::format("command (pid {}) did not finish within {} ms; killed", pid, timeout.count()));
  }
  auto it = commands_.find(pid);
  if (it == commands_.end()) return absl::NotFoundError(fmt::format("no command with pid {}", pid));
  int status = *it->second;
  commands_.erase(it);
  return status;
}

void Reaper::Watch(pid_t pid, std::function<void(int)> on_exit) {
  int status;
  {
    std::lock_guard lock(mu_);
    auto it = unclaimed_.find(pid);
    if (it == unclaimed_.end()) {
      watchers_[pid] = std::move(on_exit);
      return;
    }
    status = it->second;
    unclaimed_.erase(it);
  }
  on_exit(status);
}

}  // namespace berth::shim
