#include "shim/console_socket.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "base/status.h"
#include "ttrpc/unix_socket.h"

namespace berth::shim {

absl::StatusOr<std::unique_ptr<ConsoleSocket>> ConsoleSocket::Create() {
  char tmpl[] = "/tmp/berth-pty-XXXXXX";  // short: socket paths are limited to 107 bytes
  if (::mkdtemp(tmpl) == nullptr) return ErrnoStatus(errno, "mkdtemp", tmpl);
  std::string dir = tmpl, path = dir + "/pty.sock";
  auto listener = ttrpc::ListenUnix(path);
  if (!listener.ok()) {
    ::rmdir(dir.c_str());
    return WithContext(listener.status(), "console socket");
  }
  return std::unique_ptr<ConsoleSocket>(new ConsoleSocket(dir, path, std::move(*listener)));
}

ConsoleSocket::~ConsoleSocket() {
  ::unlink(path_.c_str());
  ::rmdir(dir_.c_str());
}

absl::StatusOr<UniqueFd> ConsoleSocket::ReceiveMaster(std::chrono::milliseconds timeout) {
  pollfd pfd{listener_.get(), POLLIN, 0};
  int n;
  do {
    n = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  } while (n < 0 && errno == EINTR);
  if (n == 0) return absl::DeadlineExceededError(fmt::format("console socket {}: runc sent no pty", path_));
  if (n < 0) return ErrnoStatus(errno, "poll", path_);
  UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn.valid()) return ErrnoStatus(errno, "accept on", path_);
  char name[4096];
  iovec iov{name, sizeof name};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t r;
  do {
    r = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ErrnoStatus(errno, "recvmsg on", path_);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == nullptr || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) {
    return absl::InvalidArgumentError(fmt::format("console socket {}: message carried no fd", path_));
  }
  int fd;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  return UniqueFd(fd);
}

}  // namespace berth::shim
