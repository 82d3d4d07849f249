#include "gc/node.h"

#include "fmt/format.h"

namespace berth::gc {

std::string_view TypeName(ResourceType type) {
  switch (type) {
    case ResourceType::kContent:
      return "content";
    case ResourceType::kSnapshot:
      return "snapshot";
    case ResourceType::kLease:
      return "lease";
    case ResourceType::kIngest:
      return "ingest";
    case ResourceType::kImage:
      return "image";
    case ResourceType::kContainer:
      return "container";
  }
  return "unknown";
}

std::string ToString(const Node& node) {
  return fmt::format("{} {}/{}", TypeName(node.type), node.ns, node.key);
}

std::string SnapshotNodeKey(std::string_view snapshotter, std::string_view key) {
  return fmt::format("{}/{}", snapshotter, key);
}

bool SplitSnapshotNodeKey(std::string_view node_key, std::string* snapshotter, std::string* key) {
  size_t slash = node_key.find('/');
  if (slash == std::string_view::npos) return false;
  *snapshotter = std::string(node_key.substr(0, slash));
  *key = std::string(node_key.substr(slash + 1));
  return true;
}

}  // namespace berth::gc
