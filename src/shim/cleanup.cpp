#include "shim/cleanup.h"

#include <unistd.h>

#include <sstream>

#include "base/close_on_exec.h"
#include "base/log.h"
#include "base/status.h"
#include "shim/reaper.h"
#include "shim/rootfs.h"
#include "shim/runc.h"
#include "shim/start.h"
#include "shim/task_service.h"
#include "ttrpc/unix_socket.h"

namespace berth::shim {

absl::StatusOr<DeleteResponse> CleanupDeadShim(const Flags& flags, const std::string& bundle) {
  ASSIGN_OR_RETURN(auto reaper, Reaper::Start());
  Runc runc(reaper.get(), RuncRootForBundle(bundle), bundle + "/log.json");
  if (absl::Status s = runc.Delete(flags.id, /*force=*/true); !s.ok() && !absl::IsNotFound(s)) {
    log::Warn("cleanup of {}: {}", flags.id, s.ToString());
  }
  RETURN_IF_ERROR(WithContext(UnmountAll(bundle + "/rootfs"), fmt::format("cleanup of {}", flags.id)));
  // A shim killed with SIGKILL leaves its socket file behind; a live one (e.g. serving another
  // containerd's request for the same id) keeps it.
  std::string socket = SocketPath(flags.address, flags.ns, flags.id);
  if (::access(socket.c_str(), F_OK) == 0 && !ttrpc::ConnectUnix(socket).ok()) ::unlink(socket.c_str());
  DeleteResponse resp{.exit_status = 137, .exited_at = Timestamp::Now()};
  absl::StatusOr<std::string> pid_text = ReadSmallFile(bundle + "/init.pid");
  std::istringstream pid_file(pid_text.ok() ? *pid_text : "");
  int pid = 0;
  if (pid_file >> pid && pid > 0) resp.pid = static_cast<uint32_t>(pid);
  return resp;
}

}  // namespace berth::shim
