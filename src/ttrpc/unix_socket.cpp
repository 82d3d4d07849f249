#include "ttrpc/unix_socket.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "base/status.h"

namespace berth::ttrpc {
namespace {

absl::StatusOr<sockaddr_un> PathAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path[0] == '\0') {
    return absl::InvalidArgumentError("unix socket path is empty (abstract sockets are not used)");
  }
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(fmt::format(
        "unix socket path {} is {} bytes, longer than the {} a socket address holds", path, path.size(),
        sizeof(addr.sun_path) - 1));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

}  // namespace

absl::StatusOr<UniqueFd> ListenUnix(const std::string& path) {
  ASSIGN_OR_RETURN(sockaddr_un addr, PathAddress(path));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoStatus(errno, "socket for", path);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == EADDRINUSE) return absl::AlreadyExistsError(fmt::format("bind {}: address in use", path));
    return ErrnoStatus(errno, "bind", path);
  }
  if (::listen(fd.get(), 64) != 0) return ErrnoStatus(errno, "listen on", path);
  return fd;
}

absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path) {
  ASSIGN_OR_RETURN(sockaddr_un addr, PathAddress(path));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoStatus(errno, "socket for", path);
  int r;
  do {
    r = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    int err = errno;
    if (err == ECONNREFUSED) return absl::UnavailableError(fmt::format("connect {}: connection refused", path));
    return ErrnoStatus(err, "connect", path);
  }
  return fd;
}

std::string StripUnixScheme(const std::string& address) {
  constexpr std::string_view kScheme = "unix://";
  if (address.compare(0, kScheme.size(), kScheme) == 0) return address.substr(kScheme.size());
  return address;
}

}  // namespace berth::ttrpc
