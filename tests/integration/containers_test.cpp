// containers.v1.Containers through the stock ctr: create, ls, info, label, rm, the errors ctr prints, and
// containers as garbage-collection roots.

#include "tests/integration/runtime_fixture.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using ContainersTest = RuntimeTest;

TEST_F(ContainersTest, CreateListInfoLabelRemove) {
  ASSERT_CTR_OK(ctr().Run({"containers", "create", "--runtime", kBerthRuntime, kBusybox, "c1", "sleep", "10"}));
  auto ls = ctr().Run({"containers", "ls"});
  ASSERT_CTR_OK(ls);
  auto row = Fields(RowWithKey(ls.out, "c1"));
  ASSERT_EQ(row.size(), 3u) << ls.out;
  EXPECT_EQ(row[1], kBusybox);
  EXPECT_EQ(row[2], kBerthRuntime);

  auto info = ctr().Run({"containers", "info", "c1"});
  ASSERT_CTR_OK(info);
  // The spec comes back as the JSON ctr sent, and the snapshot as ctr named it.
  EXPECT_THAT(info.out, HasSubstr("\"ociVersion\""));
  EXPECT_THAT(info.out, HasSubstr("\"sleep\""));
  EXPECT_THAT(info.out, HasSubstr("\"SnapshotKey\": \"c1\""));
  EXPECT_THAT(info.out, HasSubstr("\"Snapshotter\": \"overlayfs\""));

  // Labels set and removed one key at a time (update_mask labels.<key>; an empty value removes it).
  ASSERT_CTR_OK(ctr().Run({"containers", "label", "c1", "team=infra", "tier=gold"}));
  EXPECT_THAT(ctr().Run({"containers", "info", "c1"}).out, HasSubstr("\"team\": \"infra\""));
  ASSERT_CTR_OK(ctr().Run({"containers", "label", "c1", "team="}));
  info = ctr().Run({"containers", "info", "c1"});
  EXPECT_THAT(info.out, HasSubstr("\"tier\": \"gold\""));
  EXPECT_THAT(info.out, Not(HasSubstr("\"team\"")));

  ASSERT_CTR_OK(ctr().Run({"containers", "rm", "c1"}));
  EXPECT_TRUE(Lines(ctr().Run({"containers", "ls", "-q"}).out).empty());
  // ctr removed the container's snapshot with it.
  EXPECT_THAT(ctr().Run({"snapshots", "ls"}).out, Not(HasSubstr("c1 ")));
}

TEST_F(ContainersTest, ErrorsAreContainerds) {
  ASSERT_CTR_OK(ctr().Run({"containers", "create", kBusybox, "dup", "true"}));
  auto again = ctr().Run({"containers", "create", kBusybox, "dup", "true"});
  EXPECT_CTR_FAILS(again);
  auto info = ctr().Run({"containers", "info", "nope"});
  EXPECT_CTR_FAILS(info);
  EXPECT_THAT(info.err, HasSubstr("container \"nope\" in namespace \"" + ns_ + "\": not found"));
  auto rm = ctr().Run({"containers", "rm", "nope"});
  EXPECT_THAT(rm.err, HasSubstr("not found"));
  auto bad = ctr().Run({"containers", "create", kBusybox, "bad/id", "true"});
  EXPECT_CTR_FAILS(bad);
  // A namespace holding a container is not empty.
  ASSERT_CTR_OK(ctr().Run({"images", "rm", "--sync", kBusybox}));
  ASSERT_CTR_OK(ctr().Run({"snapshots", "rm", "dup"}));
  auto ns_rm = ctr().Run({"namespaces", "rm", ns_});
  EXPECT_THAT(ns_rm.err, HasSubstr("must be empty, but it still has"));
  EXPECT_THAT(ns_rm.err, HasSubstr("containers"));
}

TEST_F(ContainersTest, ContainerSnapshotIsAGcRoot) {
  ASSERT_CTR_OK(ctr().Run({"containers", "create", kBusybox, "kept", "true"}));
  // The image is gone and every lease ctr took has ended: only the container holds its snapshot.
  ASSERT_CTR_OK(ctr().Run({"images", "rm", "--sync", kBusybox}));
  EXPECT_THAT(ctr().Run({"snapshots", "ls"}).out, HasSubstr("kept"));
  ASSERT_CTR_OK(ctr().Run({"containers", "rm", "--keep-snapshot", "kept"}));
  // Without the container the snapshot (and its parent layer) is garbage.
  EXPECT_TRUE(WaitFor([&] { return ctr().Run({"snapshots", "ls"}).out.find("kept") == std::string::npos; },
                      std::chrono::seconds(10)))
      << ctr().Run({"snapshots", "ls"}).out;
}

}  // namespace
}  // namespace berth::testing
