// The standard process_* metrics Prometheus' Go client exports, read from /proc at scrape time (nothing runs
// between scrapes): process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_cpu_seconds_total, process_start_time_seconds.
#pragma once

#include "metrics/registry.h"

namespace berth::metrics {

void AddProcessMetrics(Registry& registry);

}  // namespace berth::metrics
