#include "shim/daemon.h"

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>

#include "base/log.h"
#include "shim/publisher.h"
#include "shim/reaper.h"
#include "shim/start.h"
#include "shim/task_service.h"
#include "ttrpc/server.h"

namespace berth::shim {
namespace {

// containerd holds the reader of <bundle>/log and copies it into its own log; without it, logs go nowhere.
void RedirectLogsToBundleFifo() {
  int fd = ::open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return;
  ::dup2(fd, STDERR_FILENO);
  ::close(fd);
}

}  // namespace

int RunDaemon(const Flags& flags) {
  RedirectLogsToBundleFifo();
  log::SetLevel(flags.debug ? log::Level::kDebug : log::Level::kInfo);
  // Few threads ever allocate at once here; one arena per thread would only add idle memory.
  ::mallopt(M_ARENA_MAX, 1);
  // Writes to a FIFO or socket whose reader left are errors to handle, not a reason to die.
  ::signal(SIGPIPE, SIG_IGN);

  auto reaper = Reaper::Start();  // first: blocks SIGCHLD before any other thread exists
  if (!reaper.ok()) {
    log::Error("shim {}: {}", flags.id, reaper.status().ToString());
    return 1;
  }
  const char* ttrpc_address = std::getenv("TTRPC_ADDRESS");
  Publisher publisher(ttrpc_address != nullptr ? ttrpc_address : "", flags.ns);

  std::mutex mu;
  std::condition_variable cv;
  bool shutdown = false;
  const std::string socket_path = SocketPath(flags.address, flags.ns, flags.id);
  TaskService service(flags.ns, reaper->get(), &publisher, [&] {
    // Off its path before Shutdown is answered: a task created right after with the same id gets a new shim
    // (`start` would otherwise reuse this one, on its way out), and the path is never removed from under it.
    ::unlink(socket_path.c_str());
    std::lock_guard lock(mu);
    shutdown = true;
    cv.notify_all();
  });
  ttrpc::Server server({.require_same_uid = true});
  service.RegisterWith(server);
  if (absl::Status s = server.Serve(UniqueFd(kDaemonListenerFd)); !s.ok()) {
    log::Error("shim {}: {}", flags.id, s.ToString());
    return 1;
  }
  log::Info("shim for {} in namespace {} serving (pid {})", flags.id, flags.ns, ::getpid());
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return shutdown; });
  }
  // Let the Shutdown reply go out and the last events reach containerd, then leave without unwinding: blocked
  // Wait handlers and copy threads end with the process.
  service.Abort();
  server.WaitIdle(std::chrono::seconds(2));
  publisher.Drain(std::chrono::seconds(5));
  log::Info("shim for {} exiting", flags.id);
  std::_Exit(0);
}

}  // namespace berth::shim
