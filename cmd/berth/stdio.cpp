#include "stdio.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "fmt/format.h"

namespace berth::cli {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

absl::Status Errno(const std::string& what) {
  return absl::InternalError(fmt::format("{}: {}", what, std::strerror(errno)));
}

bool WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= w;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Stdio>> Stdio::Create(const std::string& name, bool terminal, bool with_stdin) {
  std::unique_ptr<Stdio> io(new Stdio());
  std::string base = std::filesystem::exists("/run/berth") ? "/run/berth/fifo" : "/tmp";
  ::mkdir(base.c_str(), 0700);
  std::string tmpl = base + "/" + name + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return Errno("mkdtemp " + tmpl);
  io->dir_ = tmpl;
  if (with_stdin) io->stdin_path_ = io->dir_ + "/stdin";
  io->stdout_path_ = io->dir_ + "/stdout";
  if (!terminal) io->stderr_path_ = io->dir_ + "/stderr";
  for (const std::string* p : {&io->stdin_path_, &io->stdout_path_, &io->stderr_path_}) {
    if (!p->empty() && ::mkfifo(p->c_str(), 0700) != 0) return Errno("mkfifo " + *p);
  }
  // Read ends without blocking (no writer yet); stdin read-write so its open does not wait for the shim.
  if (with_stdin) io->stdin_fd_ = ::open(io->stdin_path_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  io->stdout_fd_ = ::open(io->stdout_path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (!terminal) io->stderr_fd_ = ::open(io->stderr_path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  io->stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if ((with_stdin && io->stdin_fd_ < 0) || io->stdout_fd_ < 0 || (!terminal && io->stderr_fd_ < 0) || io->stop_fd_ < 0) {
    return Errno("open the stdio FIFOs in " + io->dir_);
  }
  return io;
}

void Stdio::Start(std::function<void()> on_stdin_eof) {
  out_ = std::thread([this] { CopyOut(stdout_fd_, STDOUT_FILENO); });
  if (stderr_fd_ >= 0) err_ = std::thread([this] { CopyOut(stderr_fd_, STDERR_FILENO); });
  if (stdin_fd_ >= 0) in_ = std::thread([this, f = std::move(on_stdin_eof)] { CopyIn(f); });
}

// Until the writer (the shim) has been there and gone: Linux reports POLLHUP on a FIFO only after a writer
// closed, so an output FIFO nobody opened yet just stays quiet.
void Stdio::CopyOut(int from, int to) {
  char buf[32 * 1024];
  while (true) {
    int64_t deadline = deadline_ms_.load();
    if (deadline != 0 && NowMs() > deadline) return;
    struct pollfd p = {from, POLLIN, 0};
    int n = ::poll(&p, 1, 100);
    if (n <= 0) continue;
    ssize_t got = ::read(from, buf, sizeof buf);
    if (got > 0) {
      if (!WriteAll(to, buf, got)) return;
      continue;
    }
    if (got == 0 && (p.revents & POLLHUP)) return;
  }
}

void Stdio::CopyIn(std::function<void()> on_eof) {
  char buf[32 * 1024];
  while (!stopping_) {
    struct pollfd p[2] = {{STDIN_FILENO, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0 && errno != EINTR) return;
    if (p[1].revents != 0) return;
    if (p[0].revents == 0) continue;
    ssize_t got = ::read(STDIN_FILENO, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      // Let the shim take what is still in the FIFO first: CloseIO may stop its copier at once (bounded wait).
      for (int i = 0; i < 400 && !stopping_; ++i) {
        int unread = 0;
        if (::ioctl(stdin_fd_, FIONREAD, &unread) != 0 || unread == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      ::close(stdin_fd_);
      stdin_fd_ = -1;
      if (on_eof) on_eof();
      return;
    }
    // The FIFO is non-blocking: wait for room, but give up when told to stop.
    size_t done = 0;
    while (done < static_cast<size_t>(got) && !stopping_) {
      ssize_t w = ::write(stdin_fd_, buf + done, got - done);
      if (w > 0) {
        done += w;
        continue;
      }
      if (w < 0 && errno != EAGAIN && errno != EINTR) return;
      struct pollfd q[2] = {{stdin_fd_, POLLOUT, 0}, {stop_fd_, POLLIN, 0}};
      ::poll(q, 2, 100);
    }
  }
}

void Stdio::Finish(std::chrono::milliseconds timeout) {
  deadline_ms_ = NowMs() + timeout.count();
  if (out_.joinable()) out_.join();
  if (err_.joinable()) err_.join();
}

Stdio::~Stdio() {
  stopping_ = true;
  if (deadline_ms_ == 0) deadline_ms_ = NowMs();
  if (stop_fd_ >= 0) {
    uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof one);
  }
  for (std::thread* t : {&in_, &out_, &err_}) {
    if (t->joinable()) t->join();
  }
  for (int fd : {stdin_fd_, stdout_fd_, stderr_fd_, stop_fd_}) {
    if (fd >= 0) ::close(fd);
  }
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace berth::cli
