#include "gc/mark.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "gc/labels.h"

namespace berth::gc {
namespace {

using ::testing::UnorderedElementsAre;

Node C(std::string ns, std::string key) {
  return {ResourceType::kContent, std::move(ns), std::move(key)};
}
Node S(std::string ns, std::string key) {
  return {ResourceType::kSnapshot, std::move(ns), std::move(key)};
}
Node L(std::string ns, std::string key) {
  return {ResourceType::kLease, std::move(ns), std::move(key)};
}

// An adjacency list standing in for the metadata tables.
class Graph {
 public:
  void Edge(const Node& from, const Node& to) { edges_[from].push_back(to); }
  RefsFn Refs() {
    return [this](const Node& n, const std::function<void(Node)>& emit) {
      ++visits_[n];
      auto it = edges_.find(n);
      if (it != edges_.end()) {
        for (const Node& to : it->second) emit(to);
      }
      return absl::OkStatus();
    };
  }
  std::map<Node, int> visits_;

 private:
  std::map<Node, std::vector<Node>> edges_;
};

std::vector<Node> Sorted(const NodeSet& set) {
  std::vector<Node> v(set.begin(), set.end());
  std::sort(v.begin(), v.end());
  return v;
}

TEST(MarkTest, NothingIsLiveWithoutRoots) {
  Graph g;
  g.Edge(C("ns", "a"), C("ns", "b"));
  auto marked = Mark({}, g.Refs());
  ASSERT_TRUE(marked.ok());
  EXPECT_TRUE(marked->empty());
}

TEST(MarkTest, FollowsChainsAndStopsAtUnreferencedNodes) {
  Graph g;
  // image target → manifest → config + layers; layer → its snapshot → parent snapshot.
  g.Edge(C("ns", "manifest"), C("ns", "config"));
  g.Edge(C("ns", "manifest"), C("ns", "layer1"));
  g.Edge(C("ns", "config"), S("ns", "overlayfs/top"));
  g.Edge(S("ns", "overlayfs/top"), S("ns", "overlayfs/base"));
  g.Edge(C("ns", "orphan"), C("ns", "layer2"));  // not reachable: orphan is no root
  auto marked = Mark({C("ns", "manifest")}, g.Refs());
  ASSERT_TRUE(marked.ok());
  EXPECT_THAT(Sorted(*marked),
              UnorderedElementsAre(C("ns", "manifest"), C("ns", "config"), C("ns", "layer1"),
                                   S("ns", "overlayfs/top"), S("ns", "overlayfs/base")));
}

TEST(MarkTest, CyclesTerminateAndVisitEachNodeOnce) {
  Graph g;
  g.Edge(C("ns", "a"), C("ns", "b"));
  g.Edge(C("ns", "b"), C("ns", "c"));
  g.Edge(C("ns", "c"), C("ns", "a"));
  g.Edge(C("ns", "c"), C("ns", "c"));
  auto marked = Mark({C("ns", "a"), C("ns", "b")}, g.Refs());
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(marked->size(), 3u);
  for (const auto& [node, n] : g.visits_) EXPECT_EQ(n, 1) << ToString(node);
}

TEST(MarkTest, NamespacesAreSeparateNodes) {
  Graph g;
  // The same digest in two namespaces is two nodes: one namespace's root does not keep the other's
  // record.
  g.Edge(C("a", "m"), C("a", "shared"));
  g.Edge(C("b", "m"), C("b", "shared"));
  auto marked = Mark({C("a", "m")}, g.Refs());
  ASSERT_TRUE(marked.ok());
  EXPECT_TRUE(marked->contains(C("a", "shared")));
  EXPECT_FALSE(marked->contains(C("b", "shared")));
  EXPECT_FALSE(marked->contains(C("b", "m")));
}

TEST(MarkTest, SharedNodeReachableFromTwoRootsIsMarkedOnce) {
  Graph g;
  g.Edge(C("ns", "m1"), C("ns", "layer"));
  g.Edge(C("ns", "m2"), C("ns", "layer"));
  auto marked = Mark({C("ns", "m1"), C("ns", "m2")}, g.Refs());
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(marked->size(), 3u);
  EXPECT_EQ(g.visits_[C("ns", "layer")], 1);
}

TEST(MarkTest, LeaseResourcesAreLiveThroughTheLease) {
  Graph g;
  g.Edge(L("ns", "pull"), C("ns", "blob"));
  g.Edge(L("ns", "pull"), S("ns", "overlayfs/extract"));
  g.Edge(L("expired", "old"), C("expired", "blob"));
  auto marked = Mark({L("ns", "pull")}, g.Refs());
  ASSERT_TRUE(marked.ok());
  EXPECT_TRUE(marked->contains(C("ns", "blob")));
  EXPECT_TRUE(marked->contains(S("ns", "overlayfs/extract")));
  EXPECT_FALSE(marked->contains(C("expired", "blob")));
}

TEST(MarkTest, RootsByLabelFollowTheirLabelReferences) {
  // A gc.root-labelled blob is a root; its gc.ref labels are its edges.
  std::map<Node, Labels> labels = {
      {C("ns", "root"),
       {{std::string(kLabelRoot), "x"},
        {"containerd.io/gc.ref.content.config", "cfg"},
        {"containerd.io/gc.ref.snapshot.overlayfs", "snap"}}},
      {C("ns", "cfg"), {{"containerd.io/gc.ref.content.l.0", "layer"}}},
      {C("ns", "other"), {{"containerd.io/gc.ref.content", "cfg2"}}},
  };
  std::vector<Node> roots;
  for (const auto& [node, l] : labels) {
    if (IsRootLabelled(l)) roots.push_back(node);
  }
  auto marked = Mark(roots, [&](const Node& n, const std::function<void(Node)>& emit) {
    auto it = labels.find(n);
    if (it != labels.end()) LabelReferences(n.ns, it->second, emit);
    return absl::OkStatus();
  });
  ASSERT_TRUE(marked.ok());
  EXPECT_THAT(Sorted(*marked), UnorderedElementsAre(C("ns", "root"), C("ns", "cfg"),
                                                    C("ns", "layer"), S("ns", "overlayfs/snap")));
}

TEST(MarkTest, ErrorFromRefsStopsTheMark) {
  auto marked = Mark({C("ns", "a")}, [](const Node&, const std::function<void(Node)>&) {
    return absl::DataLossError("record corrupt");
  });
  EXPECT_EQ(marked.status().code(), absl::StatusCode::kDataLoss);
}

TEST(MarkTest, LongChainsDoNotRecurse) {
  Graph g;
  constexpr int kDepth = 200000;
  for (int i = 0; i < kDepth; ++i)
    g.Edge(S("ns", std::to_string(i)), S("ns", std::to_string(i + 1)));
  auto marked = Mark({S("ns", "0")}, g.Refs());
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(marked->size(), static_cast<size_t>(kDepth + 1));
}

}  // namespace
}  // namespace berth::gc
