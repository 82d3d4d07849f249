#include "gc/stats.h"

#include "fmt/format.h"

namespace berth::gc {

namespace {

std::string HumanBytes(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < (int64_t{1} << 20)) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  if (bytes < (int64_t{1} << 30)) return fmt::format("{:.1f} MiB", bytes / 1048576.0);
  return fmt::format("{:.2f} GiB", bytes / 1073741824.0);
}

}  // namespace

int Stats::Records(ResourceType type) const {
  int n = 0;
  for (const Removal& r : removed) n += !r.on_disk && r.node.type == type;
  return n;
}

int Stats::Blobs() const {
  int n = 0;
  for (const Removal& r : removed) n += r.on_disk && r.node.type == ResourceType::kContent;
  return n;
}

int64_t Stats::BlobBytes() const {
  int64_t n = 0;
  for (const Removal& r : removed) {
    if (r.on_disk && r.node.type == ResourceType::kContent) n += r.bytes;
  }
  return n;
}

std::string Stats::Summary() const {
  return fmt::format(
      "{} {} content, {} snapshot, {} lease, {} ingest records and {} blobs ({}) in {} ms "
      "(metadata {} ms, "
      "disk {} ms)",
      dry_run ? "would remove" : "removed", Records(ResourceType::kContent),
      Records(ResourceType::kSnapshot), Records(ResourceType::kLease),
      Records(ResourceType::kIngest), Blobs(), HumanBytes(BlobBytes()),
      absl::ToInt64Milliseconds(metadata_duration + disk_duration),
      absl::ToInt64Milliseconds(metadata_duration), absl::ToInt64Milliseconds(disk_duration));
}

}  // namespace berth::gc
