#include "gc/mark.h"

#include <utility>

namespace berth::gc {

absl::StatusOr<NodeSet> Mark(const std::vector<Node>& roots, const RefsFn& refs) {
  NodeSet marked;  // gray or black: seen, never pushed twice
  std::vector<Node> gray;
  auto shade = [&](Node n) {
    if (marked.insert(n).second) gray.push_back(std::move(n));
  };
  for (const Node& root : roots) shade(root);
  while (!gray.empty()) {
    Node node = std::move(gray.back());
    gray.pop_back();
    absl::Status s = refs(node, shade);
    if (!s.ok()) return s;
  }
  return marked;
}

}  // namespace berth::gc
