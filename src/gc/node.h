// The objects garbage collection reasons about, as containerd's gc.Node: a type, the namespace that
// owns the object and its key there. Keys are the names the metadata layer uses: a digest for
// content, the client's ref for an ingest, "<snapshotter>/<key>" for a snapshot, the id for a
// lease. Pure values; no storage here.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace berth::gc {

enum class ResourceType { kContent, kSnapshot, kLease, kIngest, kImage, kContainer };

std::string_view TypeName(ResourceType type);  // "content", "snapshot", ...

struct Node {
  ResourceType type = ResourceType::kContent;
  std::string ns;
  std::string key;

  bool operator==(const Node&) const = default;
  auto operator<=>(const Node&) const = default;
};

// "snapshot default/overlayfs/k" — for logs and dry-run listings.
std::string ToString(const Node& node);

// A snapshot node's key: snapshot names are scoped by their snapshotter, whose name holds no '/'.
std::string SnapshotNodeKey(std::string_view snapshotter, std::string_view key);
// Splits a snapshot node key into (snapshotter, key); false if it has no '/'.
bool SplitSnapshotNodeKey(std::string_view node_key, std::string* snapshotter, std::string* key);

struct NodeHash {
  size_t operator()(const Node& n) const {
    size_t h = std::hash<std::string>{}(n.key);
    h ^= std::hash<std::string>{}(n.ns) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h ^ (static_cast<size_t>(n.type) * 0x100000001b3ULL);
  }
};

using NodeSet = std::unordered_set<Node, NodeHash>;

}  // namespace berth::gc
