#pragma once
// Looking for processes from tests (shims, container inits) through /proc.

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

namespace berth::testing {

// pids of processes whose command line contains every one of `needles`.
std::vector<pid_t> ProcessesMatching(const std::vector<std::string>& needles);

// Whether pid runs (a zombie does not: after its shim died, a container's init waits for pid 1 to reap it).
bool Alive(pid_t pid);

// How many threads pid has now (0 if it is gone).
size_t ThreadCount(pid_t pid);

}  // namespace berth::testing
