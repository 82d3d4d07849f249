// The pull pipeline's metrics in the process registry (served at /v1/metrics when berthd has a metrics address).
#pragma once

#include <string_view>

#include "metrics/registry.h"

namespace berth::transfer {

struct TransferMetrics {
  metrics::Counter* bytes;                      // berth_transfer_bytes_total
  metrics::Family<metrics::Counter>* retries;   // berth_transfer_retries_total{reason}
  metrics::Family<metrics::Counter>* failures;  // berth_transfer_failures_total{reason}
  metrics::Counter* dedup_waits;                // berth_transfer_dedup_waits_total
  metrics::Counter* blobs;                      // berth_transfer_blobs_total (fetched from a registry)
  metrics::Histogram* pull_duration;            // berth_pull_duration_seconds
  metrics::Histogram* unpack_duration;          // berth_unpack_duration_seconds (one layer)

  // The metrics in metrics::Default(), registered on first use.
  static const TransferMetrics& Get();
};

}  // namespace berth::transfer
