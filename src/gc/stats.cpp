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

int Stats::OnDisk(ResourceType type) const {
  int n = 0;
  for (const Removal& r : removed) n += r.on_disk && r.node.type == type;
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
  auto ms = [](absl::Duration d) { return absl::ToInt64Milliseconds(d); };
  return fmt::format(
      "{} {} content, {} snapshot, {} lease, {} ingest records; on disk {} blobs ({}), {} snapshots, "
      "{} ingests; in {} ms (mark {} ms, sweep {} ms, disk {} ms)",
      dry_run ? "would remove" : "removed", Records(ResourceType::kContent),
      Records(ResourceType::kSnapshot), Records(ResourceType::kLease),
      Records(ResourceType::kIngest), Blobs(), HumanBytes(BlobBytes()),
      OnDisk(ResourceType::kSnapshot), OnDisk(ResourceType::kIngest),
      ms(metadata_duration + disk_duration), ms(mark_duration),
      ms(metadata_duration - mark_duration), ms(disk_duration));
}

}  // namespace berth::gc
