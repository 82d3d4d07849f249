#include "plugins/transfer/transfer_metrics.h"

namespace berth::transfer {

const TransferMetrics& TransferMetrics::Get() {
  static const TransferMetrics m = [] {
    metrics::Registry& r = metrics::Default();
    // Pulls take from under a second to many minutes; layers unpack in milliseconds to minutes.
    std::vector<double> pull_buckets = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800};
    std::vector<double> unpack_buckets = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
    return TransferMetrics{
        .bytes = r.AddCounter("berth_transfer_bytes_total", "Bytes fetched from registries"),
        .retries = r.AddCounterFamily("berth_transfer_retries_total",
                                      "Registry requests retried after a transient failure, by reason", {"reason"}),
        .failures = r.AddCounterFamily("berth_transfer_failures_total",
                                       "Blob fetches that failed for good, by reason", {"reason"}),
        .dedup_waits = r.AddCounter("berth_transfer_dedup_waits_total",
                                    "Blob fetches that waited for the same blob fetched by another pull"),
        .blobs = r.AddCounter("berth_transfer_blobs_total", "Blobs fetched from registries"),
        .pull_duration = r.AddHistogram("berth_pull_duration_seconds", "Duration of image pulls", pull_buckets),
        .unpack_duration =
            r.AddHistogram("berth_unpack_duration_seconds", "Duration of layer unpacks", unpack_buckets),
    };
  }();
  return m;
}

}  // namespace berth::transfer
