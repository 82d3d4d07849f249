#include "server/dirs.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/status.h"
#include "fmt/format.h"

namespace berth::server {

absl::Status EnsurePrivateDir(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return ErrnoStatus(ec.value(), "create directory", path);
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "stat", path);
  if (!S_ISDIR(st.st_mode)) return absl::FailedPreconditionError(fmt::format("{} is not a directory", path));
  if ((st.st_mode & 07777) != 0700 && ::chmod(path.c_str(), 0700) != 0) return ErrnoStatus(errno, "chmod", path);
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> LockRoot(const std::string& dir) {
  std::string path = dir + "/berthd.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoStatus(errno, "open", path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          fmt::format("{} is locked: another berthd is running on this root", path));
    }
    return ErrnoStatus(errno, "lock", path);
  }
  return fd;
}

absl::StatusOr<std::string> LoadOrCreateUuid(const std::string& dir) {
  std::string path = dir + "/uuid";
  {
    std::ifstream in(path);
    std::string uuid;
    if (in && std::getline(in, uuid) && uuid.size() == 36) return uuid;
  }
  unsigned char b[16];
  UniqueFd rnd(::open("/dev/urandom", O_RDONLY | O_CLOEXEC));
  if (!rnd.valid() || ::read(rnd.get(), b, sizeof b) != static_cast<ssize_t>(sizeof b)) {
    return ErrnoStatus(errno, "read", "/dev/urandom");
  }
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  std::string uuid = fmt::format("{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
                                 "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                                 b[12], b[13], b[14], b[15]);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << uuid << "\n";
    if (!out.flush()) return ErrnoStatus(errno, "write", tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus(errno, "rename", path);
  return uuid;
}

absl::Status RemoveStaleSocket(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return absl::OkStatus();
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(fmt::format("{} exists and is not a socket; refusing to replace it", path));
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return absl::InvalidArgumentError(fmt::format("socket path {} is too long", path));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.valid() && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    return absl::FailedPreconditionError(fmt::format("{}: another daemon is listening on it", path));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, "remove stale socket", path);
  return absl::OkStatus();
}

}  // namespace berth::server
