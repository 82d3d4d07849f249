#include "shim/stats.h"

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "ttrpc/protowire.h"

namespace berth::shim {
namespace {

using nlohmann::json;
using protowire::Writer;

uint64_t U64(const json& j, const char* key) {
  auto it = j.find(key);
  return (it != j.end() && it->is_number_unsigned()) ? it->get<uint64_t>()
         : (it != j.end() && it->is_number_integer()) ? static_cast<uint64_t>(std::max<int64_t>(0, it->get<int64_t>()))
                                                      : 0;
}

const json& Sub(const json& j, const char* key) {
  static const json empty = json::object();
  auto it = j.find(key);
  return (it != j.end() && it->is_object()) ? *it : empty;
}

std::string MemoryEntry(const json& e) {
  Writer w;
  w.Uint(1, U64(e, "limit"));
  w.Uint(2, U64(e, "usage"));
  w.Uint(3, U64(e, "max"));
  w.Uint(4, U64(e, "failcnt"));
  return w.Take();
}

}  // namespace

absl::StatusOr<Any> MetricsFromRuncStats(std::string_view runc_events_json) {
  json root = json::parse(runc_events_json.begin(), runc_events_json.end(), nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) {
    return absl::InternalError(fmt::format("runc events --stats: not a JSON object: {}",
                                           std::string(runc_events_json.substr(0, 200))));
  }
  const json& data = Sub(root, "data");

  Writer pids;
  pids.Uint(1, U64(Sub(data, "pids"), "current"));
  pids.Uint(2, U64(Sub(data, "pids"), "limit"));

  const json& cpu_usage = Sub(Sub(data, "cpu"), "usage");
  Writer usage;
  usage.Uint(1, U64(cpu_usage, "total"));
  usage.Uint(2, U64(cpu_usage, "kernel"));
  usage.Uint(3, U64(cpu_usage, "user"));
  std::vector<uint64_t> per_cpu;
  if (auto it = cpu_usage.find("percpu"); it != cpu_usage.end() && it->is_array()) {
    for (const auto& v : *it) per_cpu.push_back(v.is_number() ? v.get<uint64_t>() : 0);
  }
  usage.PackedUint(4, per_cpu);
  const json& throttling = Sub(Sub(data, "cpu"), "throttling");
  Writer throttle;
  throttle.Uint(1, U64(throttling, "periods"));
  throttle.Uint(2, U64(throttling, "throttledPeriods"));
  throttle.Uint(3, U64(throttling, "throttledTime"));
  Writer cpu;
  cpu.Message(1, usage.data());
  cpu.Message(2, throttle.data());

  const json& mem = Sub(data, "memory");
  const json& raw = Sub(mem, "raw");
  Writer memory;
  memory.Uint(1, U64(raw, "cache"));
  memory.Uint(2, U64(raw, "rss"));
  memory.Uint(18, U64(raw, "total_cache"));
  memory.Uint(19, U64(raw, "total_rss"));
  memory.Message(33, MemoryEntry(Sub(mem, "usage")));
  memory.Message(34, MemoryEntry(Sub(mem, "swap")));
  memory.Message(35, MemoryEntry(Sub(mem, "kernel")));

  Writer metrics;
  metrics.Message(2, pids.data());
  metrics.Message(3, cpu.data());
  metrics.Message(4, memory.data());
  return Any{.type_url = "io.containerd.cgroups.v1.Metrics", .value = metrics.Take()};
}

}  // namespace berth::shim
