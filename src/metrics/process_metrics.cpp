#include "metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>

#include "base/close_on_exec.h"

namespace berth::metrics {

namespace {

// Field `index` (0-based) of /proc/self/statm, in bytes; NaN if unreadable (shown as NaN, not as a false 0).
double StatmBytes(int index) {
  absl::StatusOr<std::string> text = ReadSmallFile("/proc/self/statm");
  std::istringstream statm(text.ok() ? *text : "");
  double pages = 0;
  for (int i = 0; i <= index; ++i) {
    if (!(statm >> pages)) return std::numeric_limits<double>::quiet_NaN();
  }
  return pages * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

double OpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return std::numeric_limits<double>::quiet_NaN();
  double count = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the directory fd opendir itself holds
}

double MaxFds() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(limit.rlim_cur);
}

double CpuSeconds() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return std::numeric_limits<double>::quiet_NaN();
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Boot time (/proc/stat btime) plus the process' start in clock ticks after boot (/proc/self/stat field 22).
double StartTimeSeconds() {
  absl::StatusOr<std::string> stat_text = ReadSmallFile("/proc/stat");
  std::istringstream stat_file(stat_text.ok() ? *stat_text : "");
  std::string line;
  double boot_time = -1;
  while (std::getline(stat_file, line)) {
    if (line.rfind("btime ", 0) == 0) boot_time = std::strtod(line.c_str() + 6, nullptr);
  }
  absl::StatusOr<std::string> self = ReadSmallFile("/proc/self/stat");
  std::string self_stat = self.ok() ? *self : "";
  // The command name (field 2) may hold spaces and parentheses; the fields after it follow the last ')'.
  size_t close = self_stat.rfind(')');
  if (boot_time < 0 || close == std::string::npos) return std::numeric_limits<double>::quiet_NaN();
  std::istringstream fields(self_stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return boot_time + std::strtod(field.c_str(), nullptr) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

void AddProcessMetrics(Registry& registry) {
  registry.AddGaugeCallback("process_resident_memory_bytes", "Resident memory size in bytes.",
                            [] { return StatmBytes(1); });
  registry.AddGaugeCallback("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                            [] { return StatmBytes(0); });
  registry.AddGaugeCallback("process_open_fds", "Number of open file descriptors.", OpenFds);
  registry.AddGaugeCallback("process_max_fds", "Maximum number of open file descriptors.", MaxFds);
  registry.AddCounterCallback("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                              CpuSeconds);
  double start = StartTimeSeconds();  // fixed for the process' life: read once
  registry.AddGaugeCallback("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                            [start] { return start; });
}

}  // namespace berth::metrics
