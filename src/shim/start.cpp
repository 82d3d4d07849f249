#include "shim/start.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <fstream>

#include "base/atomic_file.h"
#include "base/status.h"
#include "shim/sha256.h"
#include "ttrpc/unix_socket.h"

extern char** environ;

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

void RaiseOomScoreAdj(pid_t pid) {
  // The shim should be killed before containerd, not after: containerd's score + 1, as the runc shim does.
  int own = 0;
  std::ifstream("/proc/self/oom_score_adj") >> own;
  std::ofstream(fmt::format("/proc/{}/oom_score_adj", pid)) << std::min(own + 1, 1000);
}

absl::StatusOr<pid_t> SpawnDaemon(const Flags& flags, const std::string& self_exe, int listener_fd) {
  std::vector<std::string> args = {self_exe, "-namespace", flags.ns, "-id", flags.id, "-address", flags.address};
  if (flags.debug) args.push_back("-debug");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Move the socket off the low fds first, so dup2 onto 3 always happens (and clears close-on-exec).
  UniqueFd high(::fcntl(listener_fd, F_DUPFD_CLOEXEC, 10));
  if (!high.valid()) return ErrnoStatus(errno, "dup", "shim socket");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, high.get(), 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own session: no controlling terminal, and not in containerd's process group.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, self_exe.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) return ErrnoStatus(err, "spawn shim daemon", self_exe);
  return pid;
}

}  // namespace

std::string SocketPath(const std::string& containerd_address, const std::string& ns, const std::string& id) {
  return fmt::format("{}/{}", kSocketDir, Sha256Hex(fmt::format("{}/{}/{}", containerd_address, ns, id)));
}

absl::StatusOr<std::string> StartShim(const Flags& flags, const std::string& self_exe) {
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
  auto pid = SpawnDaemon(flags, self_exe, listener.get());
  if (!pid.ok()) {
    ::unlink(path.c_str());
    return pid.status();
  }
  RaiseOomScoreAdj(*pid);
  return address;
}

}  // namespace berth::shim
