#include "shim/stats_v2.h"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <fstream>
#include <sstream>

#include "base/status.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "shim/json_fields.h"
#include "ttrpc/protowire.h"

namespace berth::shim {
namespace {

using nlohmann::json;
using protowire::Writer;

// memory.stat keys in the order of MemoryStat's fields 1..31.
constexpr const char* kMemoryStatKeys[] = {
    "anon", "file", "kernel_stack", "slab", "sock", "shmem", "file_mapped", "file_dirty", "file_writeback",
    "anon_thp", "inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable", "slab_reclaimable",
    "slab_unreclaimable", "pgfault", "pgmajfault", "workingset_refault", "workingset_activate",
    "workingset_nodereclaim", "pgrefill", "pgscan", "pgsteal", "pgactivate", "pgdeactivate", "pglazyfree",
    "pglazyfreed", "thp_fault_alloc", "thp_collapse_alloc"};

std::string MemoryStat(const json& mem) {
  Writer w;
  const json& raw = JsonObject(mem, "raw");
  for (int i = 0; i < static_cast<int>(std::size(kMemoryStatKeys)); ++i) w.Uint(i + 1, JsonU64(raw, kMemoryStatKeys[i]));
  uint64_t usage = JsonU64(JsonObject(mem, "usage"), "usage"), limit = JsonU64(JsonObject(mem, "usage"), "limit");
  w.Uint(32, usage);
  w.Uint(33, limit);
  // runc reports swap as memory+swap (the v1 meaning); containerd's v2 figures are swap alone.
  uint64_t swap_usage = JsonU64(JsonObject(mem, "swap"), "usage"), swap_limit = JsonU64(JsonObject(mem, "swap"), "limit");
  w.Uint(34, swap_usage >= usage ? swap_usage - usage : swap_usage);
  w.Uint(35, swap_limit == UINT64_MAX || swap_limit < limit ? swap_limit : swap_limit - limit);
  return w.Take();
}

std::string MemoryEvents(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string key;
  uint64_t value = 0;
  Writer w;
  while (in >> key >> value) {
    static constexpr const char* kKeys[] = {"low", "high", "max", "oom", "oom_kill"};
    for (int i = 0; i < 5; ++i) {
      if (key == kKeys[i]) w.Uint(i + 1, value);
    }
  }
  return w.Take();
}

}  // namespace

bool CgroupV2Host() {
  struct statfs fs {};
  return ::statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

absl::StatusOr<Any> MetricsV2FromRuncStats(std::string_view runc_events_json, std::string_view memory_events_text) {
  ASSIGN_OR_RETURN(const json data, RuncStatsData(runc_events_json));
  Writer pids;
  pids.Uint(1, JsonU64(JsonObject(data, "pids"), "current"));
  pids.Uint(2, JsonU64(JsonObject(data, "pids"), "limit"));
  // runc keeps nanoseconds; cpu.stat (and containerd's v2 figures) are microseconds.
  const json& usage = JsonObject(JsonObject(data, "cpu"), "usage");
  const json& throttling = JsonObject(JsonObject(data, "cpu"), "throttling");
  Writer cpu;
  cpu.Uint(1, JsonU64(usage, "total") / 1000);
  cpu.Uint(2, JsonU64(usage, "user") / 1000);
  cpu.Uint(3, JsonU64(usage, "kernel") / 1000);
  cpu.Uint(4, JsonU64(throttling, "periods"));
  cpu.Uint(5, JsonU64(throttling, "throttledPeriods"));
  cpu.Uint(6, JsonU64(throttling, "throttledTime") / 1000);

  Writer metrics;
  metrics.Message(1, pids.data());
  metrics.Message(2, cpu.data());
  metrics.Message(4, MemoryStat(JsonObject(data, "memory")));
  if (!memory_events_text.empty()) metrics.Message(8, MemoryEvents(memory_events_text));
  return Any{.type_url = "io.containerd.cgroups.v2.Metrics", .value = metrics.Take()};
}

std::string ReadMemoryEvents(int pid) {
  std::ifstream cgroup(fmt::format("/proc/{}/cgroup", pid));
  std::string line;
  while (std::getline(cgroup, line)) {
    if (!line.starts_with("0::/")) continue;
    std::ifstream events("/sys/fs/cgroup" + line.substr(3) + "/memory.events");
    std::stringstream text;
    text << events.rdbuf();
    return text.str();
  }
  return "";
}

}  // namespace berth::shim
