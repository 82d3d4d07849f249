#include "gc/labels.h"

#include <string>

namespace berth::gc {

void LabelReferences(std::string_view ns, const Labels& labels,
                     const std::function<void(Node)>& emit) {
  // Labels are sorted, so each family is one contiguous range starting at its prefix.
  for (auto it = labels.lower_bound(std::string(kLabelContentRef));
       it != labels.end() && std::string_view(it->first).starts_with(kLabelContentRef); ++it) {
    std::string_view rest = std::string_view(it->first).substr(kLabelContentRef.size());
    // "gc.ref.contentx" is some other label; names after the separator are free-form.
    if (!rest.empty() && rest[0] != '.' && rest[0] != '/') continue;
    if (it->second.empty()) continue;
    emit(Node{.type = ResourceType::kContent, .ns = std::string(ns), .key = it->second});
  }
  for (auto it = labels.lower_bound(std::string(kLabelSnapshotRef));
       it != labels.end() && std::string_view(it->first).starts_with(kLabelSnapshotRef); ++it) {
    std::string_view snapshotter = std::string_view(it->first).substr(kLabelSnapshotRef.size());
    snapshotter = snapshotter.substr(0, snapshotter.find('/'));
    if (snapshotter.empty() || it->second.empty()) continue;
    emit(Node{.type = ResourceType::kSnapshot,
              .ns = std::string(ns),
              .key = SnapshotNodeKey(snapshotter, it->second)});
  }
}

bool IsRootLabelled(const Labels& labels) { return labels.contains(std::string(kLabelRoot)); }

bool LeaseExpired(const Labels& labels, absl::Time now) {
  auto it = labels.find(std::string(kLabelExpire));
  if (it == labels.end()) return false;
  absl::Time expire;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, it->second, &expire, &error)) return false;
  return expire < now;
}

}  // namespace berth::gc
