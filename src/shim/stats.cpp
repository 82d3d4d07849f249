#include "shim/stats.h"

#include "base/status.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "shim/json_fields.h"
#include "ttrpc/protowire.h"

namespace berth::shim {
namespace {

using nlohmann::json;
using protowire::Writer;

std::string MemoryEntry(const json& e) {
  Writer w;
  w.Uint(1, JsonU64(e, "limit"));
  w.Uint(2, JsonU64(e, "usage"));
  w.Uint(3, JsonU64(e, "max"));
  w.Uint(4, JsonU64(e, "failcnt"));
  return w.Take();
}

}  // namespace

absl::StatusOr<Any> MetricsFromRuncStats(std::string_view runc_events_json) {
  ASSIGN_OR_RETURN(const json data, RuncStatsData(runc_events_json));

  Writer pids;
  pids.Uint(1, JsonU64(JsonObject(data, "pids"), "current"));
  pids.Uint(2, JsonU64(JsonObject(data, "pids"), "limit"));

  const json& cpu_usage = JsonObject(JsonObject(data, "cpu"), "usage");
  Writer usage;
  usage.Uint(1, JsonU64(cpu_usage, "total"));
  usage.Uint(2, JsonU64(cpu_usage, "kernel"));
  usage.Uint(3, JsonU64(cpu_usage, "user"));
  std::vector<uint64_t> per_cpu;
  if (auto it = cpu_usage.find("percpu"); it != cpu_usage.end() && it->is_array()) {
    for (const auto& v : *it) per_cpu.push_back(v.is_number() ? v.get<uint64_t>() : 0);
  }
  usage.PackedUint(4, per_cpu);
  const json& throttling = JsonObject(JsonObject(data, "cpu"), "throttling");
  Writer throttle;
  throttle.Uint(1, JsonU64(throttling, "periods"));
  throttle.Uint(2, JsonU64(throttling, "throttledPeriods"));
  throttle.Uint(3, JsonU64(throttling, "throttledTime"));
  Writer cpu;
  cpu.Message(1, usage.data());
  cpu.Message(2, throttle.data());

  const json& mem = JsonObject(data, "memory");
  const json& raw = JsonObject(mem, "raw");
  Writer memory;
  memory.Uint(1, JsonU64(raw, "cache"));
  memory.Uint(2, JsonU64(raw, "rss"));
  memory.Uint(18, JsonU64(raw, "total_cache"));
  memory.Uint(19, JsonU64(raw, "total_rss"));
  memory.Message(33, MemoryEntry(JsonObject(mem, "usage")));
  memory.Message(34, MemoryEntry(JsonObject(mem, "swap")));
  memory.Message(35, MemoryEntry(JsonObject(mem, "kernel")));

  Writer metrics;
  metrics.Message(2, pids.data());
  metrics.Message(3, cpu.data());
  metrics.Message(4, memory.data());
  return Any{.type_url = "io.containerd.cgroups.v1.Metrics", .value = metrics.Take()};
}

}  // namespace berth::shim
