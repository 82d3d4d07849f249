#include "shim/exec_fifo.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/pidfd.h"
#include "base/status.h"
#include "base/unique_fd.h"

namespace berth::shim {
namespace {

// Reads what is buffered: >0 bytes read, 0 at EOF (or nothing ever written and no writer), -1 nothing yet.
ssize_t Drain(int fd, bool* got_byte) {
  char buf[16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      *got_byte = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

}  // namespace

absl::Status ReleaseThroughExecFifo(const std::string& path, pid_t init_pid, std::chrono::milliseconds timeout) {
  // Non-blocking: a blocking open would wait forever for an init that died before it opened its end.
  UniqueFd fifo(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW));
  if (!fifo.valid()) {
    if (errno == ENOENT) return absl::NotFoundError(fmt::format("no exec FIFO at {}", path));
    return ErrnoStatus(errno, "open", path);
  }
  struct stat st {};
  if (::fstat(fifo.get(), &st) != 0 || !S_ISFIFO(st.st_mode)) {
    return absl::NotFoundError(fmt::format("{} is not a FIFO", path));
  }
  // No pidfd: the init is gone (already reaped), so only what it wrote before counts.
  absl::StatusOr<UniqueFd> init = PidfdOpen(init_pid);
  pollfd fds[2] = {{.fd = fifo.get(), .events = POLLIN, .revents = 0},
                   {.fd = init.ok() ? init->get() : -1, .events = POLLIN, .revents = 0}};
  bool got_byte = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (init.ok()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return absl::DeadlineExceededError(fmt::format("exec FIFO {}: no exec within {} ms", path, timeout.count()));
    }
    int ready = ::poll(fds, 2, static_cast<int>(left.count()) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return ErrnoStatus(errno, "poll", path);
    // POLLHUP only once a writer came and went: before any writer, read would say EOF too, so poll decides.
    if ((fds[0].revents & (POLLIN | POLLHUP)) != 0) {
      ssize_t n = Drain(fifo.get(), &got_byte);
      if (n == 0) break;  // the writer's end closed: the exec (or its death)
      if (errno != EAGAIN) return ErrnoStatus(errno, "read", path);
      continue;
    }
    if ((fds[1].revents & POLLIN) != 0) break;  // the init exited without ever opening its end
  }
  Drain(fifo.get(), &got_byte);
  if (!got_byte) return absl::FailedPreconditionError("container process is already dead");
  if (::unlink(path.c_str()) != 0) return ErrnoStatus(errno, "remove", path);
  return absl::OkStatus();
}

}  // namespace berth::shim
