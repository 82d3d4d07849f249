#include "shim/start.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <fstream>

#include "base/atomic_file.h"
#include "base/status.h"
#include "shim/sha256.h"
#include "ttrpc/unix_socket.h"

namespace berth::shim {
namespace {

constexpr char kSocketDir[] = "/run/containerd/s";

// Binds the shim socket; a stale socket file (its shim is dead) is replaced. Sets *reuse when a live shim
// already listens there.
absl::StatusOr<UniqueFd> BindShimSocket(const std::string& path, bool* reuse) {
  *reuse = false;
  if (::mkdir("/run/containerd", 0711) != 0 && errno != EEXIST) return ErrnoStatus(errno, "mkdir", "/run/containerd");
  if (::mkdir(kSocketDir, 0700) != 0 && errno != EEXIST) return ErrnoStatus(errno, "mkdir", kSocketDir);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto listener = ttrpc::ListenUnix(path);
    if (listener.ok()) {
      ::chmod(path.c_str(), 0600);
      return listener;
    }
    if (!absl::IsAlreadyExists(listener.status())) return listener.status();
    if (ttrpc::ConnectUnix(path).ok()) {
      *reuse = true;
      return UniqueFd();
    }
    ::unlink(path.c_str());
  }
  return absl::AlreadyExistsError(fmt::format("shim socket {} stays in use", path));
}

void RaiseOomScoreAdj() {
  // The shim should be killed before containerd, not after: containerd's score + 1, as the runc shim does.
  int own = 0;
  std::ifstream("/proc/self/oom_score_adj") >> own;
  std::ofstream("/proc/self/oom_score_adj") << std::min(own + 1, 1000);
}

// The daemon is a fork of `start`, not a new program: it serves at once, without an exec and a program start-up,
// which were a good part of a short task's life. `start` has no threads yet, so forking is safe.
absl::StatusOr<pid_t> ForkDaemon(int listener_fd, const std::function<int()>& run_daemon) {
  pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus(errno, "fork", "shim daemon");
  if (pid > 0) return pid;
  // Its own session: no controlling terminal, and not in containerd's process group. Its stdio must not hold the
  // pipe containerd reads the address from to EOF.
  ::setsid();
  if (listener_fd != kDaemonListenerFd && ::dup3(listener_fd, kDaemonListenerFd, O_CLOEXEC) < 0) std::_Exit(1);
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd <= 2 && null_fd >= 0; ++fd) {
    if (fd != null_fd) ::dup2(null_fd, fd);
  }
  if (null_fd > 2) ::close(null_fd);
  RaiseOomScoreAdj();
  std::_Exit(run_daemon());
}

}  // namespace

std::string SocketPath(const std::string& containerd_address, const std::string& ns, const std::string& id) {
  return fmt::format("{}/{}", kSocketDir, Sha256Hex(fmt::format("{}/{}/{}", containerd_address, ns, id)));
}

absl::StatusOr<std::string> StartShim(const Flags& flags, const std::function<int()>& run_daemon) {
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return ErrnoStatus(errno, "getcwd", "bundle");
  std::string bundle = cwd;
  // containerd may send runtime options (an Any) on stdin; this shim has none, so they are read and ignored.
  char buf[4096];
  while (::read(STDIN_FILENO, buf, sizeof buf) > 0) {
  }
  std::string path = SocketPath(flags.address, flags.ns, flags.id);
  std::string address = "unix://" + path;
  bool reuse = false;
  ASSIGN_OR_RETURN(UniqueFd listener, BindShimSocket(path, &reuse));
  RETURN_IF_ERROR(WriteFileAtomically(bundle + "/address", address, 0644));
  if (reuse) return address;
  if (auto pid = ForkDaemon(listener.get(), run_daemon); !pid.ok()) {
    ::unlink(path.c_str());
    return pid.status();
  }
  return address;
}

}  // namespace berth::shim
