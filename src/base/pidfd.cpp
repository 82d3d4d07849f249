#include "base/pidfd.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "base/status.h"

namespace berth {

absl::StatusOr<UniqueFd> PidfdOpen(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // close-on-exec by default
  if (fd < 0) return ErrnoStatus(errno, "pidfd_open", std::to_string(pid));
  return UniqueFd(fd);
}

}  // namespace berth
