#include "gc/labels.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::gc {
namespace {

using ::testing::UnorderedElementsAre;

std::vector<Node> Refs(const Labels& labels) {
  std::vector<Node> out;
  LabelReferences("ns", labels, [&](Node n) { out.push_back(std::move(n)); });
  return out;
}

TEST(LabelsTest, ContentReferencesTakeAnySuffixAfterASeparator) {
  EXPECT_THAT(Refs({{"containerd.io/gc.ref.content", "d0"},
                    {"containerd.io/gc.ref.content.config", "d1"},
                    {"containerd.io/gc.ref.content.l.0", "d2"},
                    {"containerd.io/gc.ref.content.m.3", "d3"},
                    {"containerd.io/gc.ref.content/x", "d4"},
                    {"containerd.io/gc.ref.contentx", "no"},
                    {"containerd.io/gc.ref.content.empty", ""},
                    {"other", "no"}}),
              UnorderedElementsAre(Node{ResourceType::kContent, "ns", "d0"},
                                   Node{ResourceType::kContent, "ns", "d1"},
                                   Node{ResourceType::kContent, "ns", "d2"},
                                   Node{ResourceType::kContent, "ns", "d3"},
                                   Node{ResourceType::kContent, "ns", "d4"}));
}

TEST(LabelsTest, SnapshotReferencesNameTheirSnapshotter) {
  EXPECT_THAT(Refs({{"containerd.io/gc.ref.snapshot.overlayfs", "k1"},
                    {"containerd.io/gc.ref.snapshot.native/extra", "k2"},
                    {"containerd.io/gc.ref.snapshot.", "no snapshotter"}}),
              UnorderedElementsAre(Node{ResourceType::kSnapshot, "ns", "overlayfs/k1"},
                                   Node{ResourceType::kSnapshot, "ns", "native/k2"}));
}

TEST(LabelsTest, RootLabelAnyValue) {
  EXPECT_TRUE(IsRootLabelled({{"containerd.io/gc.root", ""}}));
  EXPECT_TRUE(IsRootLabelled({{"containerd.io/gc.root", "2020-01-01T00:00:00Z"}}));
  EXPECT_FALSE(IsRootLabelled({{"containerd.io/gc.rootx", "1"}}));
}

TEST(LabelsTest, LeaseExpiry) {
  absl::Time now = absl::FromUnixSeconds(1700000000);
  EXPECT_FALSE(LeaseExpired({}, now));
  EXPECT_TRUE(LeaseExpired({{"containerd.io/gc.expire", "2023-01-01T00:00:00Z"}}, now));
  EXPECT_FALSE(LeaseExpired({{"containerd.io/gc.expire", "2030-01-01T00:00:00Z"}}, now));
  EXPECT_FALSE(LeaseExpired({{"containerd.io/gc.expire", "2030-01-01T00:00:00.5+02:00"}}, now));
  EXPECT_FALSE(
      LeaseExpired({{"containerd.io/gc.expire", "yesterday"}}, now));  // ignored, as containerd
}

}  // namespace
}  // namespace berth::gc
