#include "shim/process_io.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "base/log.h"
#include "base/status.h"

namespace berth::shim {
namespace {

absl::StatusOr<UniqueFd> OpenFifo(const std::string& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, "open stdio fifo", path);
  return fd;
}

void SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// Waits for `events` on fd or for the cancel eventfd; false when cancelled or on a poll error.
bool WaitReady(int fd, short events, int cancel_fd) {
  while (true) {
    pollfd fds[2] = {{fd, events, 0}, {cancel_fd, POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || fds[1].revents != 0) return false;
    if (fds[0].revents != 0) return true;
  }
}

// Writes all of data to a non-blocking fd; false if cancelled or the reader went away.
bool WriteAll(int fd, const char* data, size_t size, int cancel_fd) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n > 0) {
      data += n;
      size -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!WaitReady(fd, POLLOUT, cancel_fd)) return false;
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ProcessIo>> ProcessIo::Open(const Stdio& stdio) {
  std::unique_ptr<ProcessIo> io(new ProcessIo());
  io->stdio_ = stdio;
  io->cancel_.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  io->stdin_cancel_.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!io->cancel_.valid() || !io->stdin_cancel_.valid()) return ErrnoStatus(errno, "eventfd", "stdio copy");
  if (!stdio.stdin_path.empty()) {
    // Non-blocking open for reading succeeds without a writer; poll() then waits for the client's data.
    ASSIGN_OR_RETURN(io->stdin_fifo_, OpenFifo(stdio.stdin_path, O_RDONLY | O_NONBLOCK));
    if (!stdio.terminal) {
      int p[2];
      if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoStatus(errno, "pipe for stdin of", stdio.stdin_path);
      io->stdin_pipe_read_.Reset(p[0]);
      io->stdin_pipe_write_.Reset(p[1]);
      SetNonBlocking(p[1]);
      io->stdin_thread_ = std::thread([raw = io.get()] { raw->CopyStdin(raw->stdin_pipe_write_.get()); });
    }
  }
  // O_RDWR: opening never blocks waiting for the client's reader.
  if (!stdio.stdout_path.empty()) {
    ASSIGN_OR_RETURN(io->stdout_fifo_, OpenFifo(stdio.stdout_path, O_RDWR));
  }
  if (!stdio.stderr_path.empty() && !stdio.terminal) {
    ASSIGN_OR_RETURN(io->stderr_fifo_, OpenFifo(stdio.stderr_path, O_RDWR));
  }
  return io;
}

ProcessIo::~ProcessIo() {
  uint64_t one = 1;
  (void)!::write(cancel_.get(), &one, sizeof one);
  if (stdin_thread_.joinable()) stdin_thread_.join();
  if (output_thread_.joinable()) output_thread_.join();
}

ProcessFds ProcessIo::fds() const {
  return {.stdin_fd = stdin_pipe_read_.get(), .stdout_fd = stdout_fifo_.get(), .stderr_fd = stderr_fifo_.get()};
}

void ProcessIo::ReleaseProcessSide() {
  if (stdio_.terminal) return;
  stdin_pipe_read_.Reset();
  stdout_fifo_.Reset();
  stderr_fifo_.Reset();
}

void ProcessIo::CopyStdin(int dst) {
  char buf[32 * 1024];
  // After CloseIO, what the client wrote before it is still copied: ctr sends CloseIO as soon as its own
  // stdin ends, when its last bytes may still sit in the FIFO. Draining reads until the FIFO is empty.
  bool draining = false;
  while (true) {
    if (!draining) {
      pollfd fds[3] = {{stdin_fifo_.get(), POLLIN, 0}, {cancel_.get(), POLLIN, 0}, {stdin_cancel_.get(), POLLIN, 0}};
      int ready = ::poll(fds, 3, -1);
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0 || fds[1].revents != 0) break;
      if (fds[2].revents != 0) {
        draining = true;
      } else if (fds[0].revents == 0) {
        continue;
      }
    }
    ssize_t n = ::read(stdin_fifo_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN && !draining) continue;
    if (n <= 0) break;  // the client closed its end, or (draining) nothing is left
    if (!WriteAll(dst, buf, static_cast<size_t>(n), cancel_.get())) break;
  }
  // The container sees EOF on stdin once the pipe's write end is gone.
  if (!stdio_.terminal) stdin_pipe_write_.Reset();
}

void ProcessIo::CloseStdin() {
  // The copy thread drains the FIFO, then closes the pipe's write end: the process reads all, then EOF.
  uint64_t one = 1;
  (void)!::write(stdin_cancel_.get(), &one, sizeof one);
}

absl::Status ProcessIo::AttachConsole(UniqueFd master) {
  master_ = std::move(master);
  SetNonBlocking(master_.get());
  if (stdin_fifo_.valid()) {
    stdin_thread_ = std::thread([this] { CopyStdin(master_.get()); });
  }
  {
    std::lock_guard lock(mu_);
    output_done_ = false;
  }
  output_thread_ = std::thread([this] { CopyConsoleOutput(); });
  return absl::OkStatus();
}

void ProcessIo::CopyConsoleOutput() {
  char buf[32 * 1024];
  if (stdout_fifo_.valid()) SetNonBlocking(stdout_fifo_.get());
  while (true) {
    if (!WaitReady(master_.get(), POLLIN, cancel_.get())) break;
    ssize_t n = ::read(master_.get(), buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;  // EIO: every slave fd is closed, the process is gone
    if (stdout_fifo_.valid() && !WriteAll(stdout_fifo_.get(), buf, static_cast<size_t>(n), cancel_.get())) break;
  }
  stdout_fifo_.Reset();  // the client's reader sees EOF
  std::lock_guard lock(mu_);
  output_done_ = true;
  cv_.notify_all();
}

absl::Status ProcessIo::Resize(uint32_t width, uint32_t height) {
  if (!master_.valid()) return absl::FailedPreconditionError("process has no terminal to resize");
  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(width);
  ws.ws_row = static_cast<unsigned short>(height);
  if (::ioctl(master_.get(), TIOCSWINSZ, &ws) != 0) return ErrnoStatus(errno, "resize", "pty");
  return absl::OkStatus();
}

void ProcessIo::WaitOutput(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [this] { return output_done_; });
}

}  // namespace berth::shim
