#include "base/close_on_exec.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

#include "base/status.h"
#include "base/unique_fd.h"

namespace berth {

absl::Status SetCloseOnExecForOpenFiles(const std::vector<std::filesystem::path>& files) {
  std::vector<std::pair<dev_t, ino_t>> wanted;
  for (const auto& f : files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) == 0) wanted.emplace_back(st.st_dev, st.st_ino);
  }
  if (wanted.empty()) return absl::OkStatus();
  // opendir sets O_CLOEXEC on its own fd.
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return ErrnoStatus(errno, "open", "/proc/self/fd");
  absl::Status result = absl::OkStatus();
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    int fd = std::atoi(entry->d_name);
    struct stat st {};
    if (fd == ::dirfd(dir) || ::fstat(fd, &st) != 0) continue;
    bool match = false;
    for (const auto& [dev, ino] : wanted) match = match || (st.st_dev == dev && st.st_ino == ino);
    if (!match) continue;
    int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
      result = ErrnoStatus(errno, "set close-on-exec on fd", entry->d_name);
    }
  }
  ::closedir(dir);
  return result;
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, "open", path);
  std::string data;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "read", path);
    if (n == 0) return data;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > max_bytes) {
      return absl::OutOfRangeError(fmt::format("{} is larger than {} bytes", path, max_bytes));
    }
  }
}

}  // namespace berth
