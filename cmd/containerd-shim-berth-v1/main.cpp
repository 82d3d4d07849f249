// containerd-shim-berth-v1: the runtime-v2 shim containerd (and berthd) start for `io.containerd.berth.v1`.
// See src/shim/flags.h for the command lines.
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "shim/cleanup.h"
#include "shim/daemon.h"
#include "shim/flags.h"
#include "shim/start.h"

namespace {

// The forked daemon keeps `start`'s command line; without the action it reads as the daemon it is (in ps, and to
// whoever looks for shims by their command line).
void EraseAction(int argc, char** argv) {
  for (int i = argc - 1; i > 0; --i) {
    if (std::strcmp(argv[i], "start") == 0) {
      std::memset(argv[i], 0, std::strlen(argv[i]));
      return;
    }
  }
}

bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace berth::shim;
  auto flags = ParseFlags(std::vector<std::string>(argv + 1, argv + argc));
  if (!flags.ok()) {
    std::fprintf(stderr, "containerd-shim-berth-v1: %s\n", std::string(flags.status().message()).c_str());
    return 2;
  }
  if (flags->action == "start") {
    auto address = StartShim(*flags, [&] {
      EraseAction(argc, argv);
      Flags daemon = *flags;
      daemon.action.clear();
      return RunDaemon(daemon);
    });
    if (!address.ok()) {
      std::fprintf(stderr, "containerd-shim-berth-v1 start: %s\n", address.status().ToString().c_str());
      return 1;
    }
    // containerd reads stdout+stderr to EOF as the address: nothing else may be printed.
    return WriteAll(STDOUT_FILENO, *address) ? 0 : 1;
  }
  if (flags->action == "delete") {
    std::string bundle = flags->bundle;
    if (bundle.empty()) {
      char cwd[PATH_MAX];
      if (::getcwd(cwd, sizeof cwd) != nullptr) bundle = cwd;
    }
    auto resp = CleanupDeadShim(*flags, bundle);
    if (!resp.ok()) {
      std::fprintf(stderr, "containerd-shim-berth-v1 delete: %s\n", resp.status().ToString().c_str());
      return 1;
    }
    return WriteAll(STDOUT_FILENO, resp->Encode()) ? 0 : 1;
  }
  return RunDaemon(*flags);
}
