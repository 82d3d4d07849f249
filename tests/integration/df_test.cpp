// Issue 5 acceptance for `berth df`: every byte under the root attributed (to an image, or to nothing), the
// total agreeing with `du -sb`, a planted directory shown as an orphan that `berth gc` removes, and a root back
// to its empty size once every image is gone and gc ran (the 90 GB incident).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/util/fixture.h"

namespace berth::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class DfTest : public BerthdServiceTest {
 protected:
  // A 2-layer image of 1 MiB per layer, pulled with `berth pull`; returns its ref.
  std::string PullImage(const std::string& repo, GeneratedImage* image) {
    return PullGeneratedImage(repo, 51, 1 << 20, image);
  }

  nlohmann::json Df() {
    RunResult r = Berth({"df", "--json"});
    EXPECT_TRUE(r.ok()) << r.Describe();
    try {
      return nlohmann::json::parse(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "berth df --json: " << e.what() << "\n" << r.out;
      return nlohmann::json::object();
    }
  }

  int64_t DuBytes() {
    RunResult r = RunCommand({"du", "-sb", daemon_.root()});
    EXPECT_TRUE(r.ok()) << r.Describe();
    return std::stoll(r.out);
  }

  // Entries of `report` whose field `field` equals `value`.
  static std::vector<nlohmann::json> Where(const nlohmann::json& report, const std::string& field,
                                           const std::string& value) {
    std::vector<nlohmann::json> out;
    for (const auto& e : report["entries"]) {
      if (e[field] == value) out.push_back(e);
    }
    return out;
  }

  void ExpectTotalMatchesDu(const nlohmann::json& report) {
    const int64_t du = DuBytes();
    const int64_t total = report["total_bytes"].get<int64_t>();
    EXPECT_LE(std::llabs(total - du), du / 50) << "df total " << total << " vs du -sb " << du;
    int64_t sum = 0;
    for (const auto& e : report["entries"]) sum += e["bytes"].get<int64_t>();
    EXPECT_EQ(sum, total) << "the entries account for every byte";
  }
};

TEST_F(DfTest, AttributesBlobsAndLayersToTheImageAndPlantedDirToNobody) {
  GeneratedImage image;
  const std::string ref = PullImage("df-attr", &image);
  // The pull's lease deletion triggers a collection (rate-limited to one per 100 ms), which would take the
  // planted directory before df sees it: let it run out first.
  ASSERT_TRUE(Berth({"gc"}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::filesystem::path planted =
      std::filesystem::path(daemon_.root()) / "io.containerd.snapshotter.v1.overlayfs/snapshots/planted-by-test";
  std::filesystem::create_directories(planted / "sub");
  {
    std::ofstream out(planted / "sub/junk", std::ios::binary);
    out << std::string(3 << 20, 'x');
  }

  nlohmann::json report = Df();
  ExpectTotalMatchesDu(report);
  for (const std::string& digest : image.BlobDigests()) {
    std::vector<nlohmann::json> blob = Where(report, "key", digest);
    ASSERT_EQ(blob.size(), 1u) << digest << "\n" << report.dump(1);
    EXPECT_EQ(blob[0]["category"], "content");
    EXPECT_THAT(blob[0]["holders"].get<std::vector<std::string>>(), Contains("image " + ref)) << digest;
    EXPECT_FALSE(blob[0]["reclaimable"].get<bool>());
  }
  int layers = 0;
  for (const auto& e : Where(report, "category", "snapshots")) {
    if (e["kind"] != "layer") continue;
    ++layers;
    EXPECT_THAT(e["holders"].get<std::vector<std::string>>(), Contains("image " + ref)) << e.dump();
  }
  EXPECT_EQ(layers, 2);
  std::vector<nlohmann::json> orphan = Where(report, "path", planted.string());
  ASSERT_EQ(orphan.size(), 1u) << report.dump(1);
  EXPECT_EQ(orphan[0]["category"], "orphans");
  EXPECT_TRUE(orphan[0]["reclaimable"].get<bool>());
  EXPECT_GE(orphan[0]["bytes"].get<int64_t>(), 3 << 20);
  EXPECT_GE(report["reclaimable_bytes"].get<int64_t>(), 3 << 20);

  RunResult table = Berth({"df"});
  ASSERT_TRUE(table.ok()) << table.Describe();
  EXPECT_THAT(table.out, HasSubstr("image " + ref));
  EXPECT_THAT(table.out, HasSubstr(planted.string()));

  RunResult gc = Berth({"gc"});
  ASSERT_TRUE(gc.ok()) << gc.Describe();
  EXPECT_FALSE(std::filesystem::exists(planted)) << "gc removes what no snapshot owns";
  nlohmann::json after = Df();
  EXPECT_TRUE(Where(after, "category", "orphans").empty()) << after.dump(1);
  EXPECT_EQ(Where(after, "key", image.manifest).size(), 1u) << "gc never touches what metadata knows";
  ExpectTotalMatchesDu(after);
}

TEST_F(DfTest, RootReturnsToEmptySizeOnceImagesAreRemovedAndGcRan) {
  const int64_t empty = DuBytes();
  GeneratedImage image;
  const std::string ref = PullImage("df-empty", &image);
  ASSERT_GT(DuBytes(), empty + (2 << 20));
  ASSERT_CTR_OK(ctr().Run({"images", "rm", ref}));

  nlohmann::json before_gc = Df();
  for (const std::string& digest : image.BlobDigests()) {
    std::vector<nlohmann::json> blob = Where(before_gc, "key", digest);
    if (blob.empty()) continue;  // the delete's own gc may have run already
    EXPECT_TRUE(blob[0]["reclaimable"].get<bool>()) << blob[0].dump();
    EXPECT_TRUE(blob[0]["holders"].empty()) << blob[0].dump();
  }

  RunResult gc = Berth({"gc"});
  ASSERT_TRUE(gc.ok()) << gc.Describe();
  EXPECT_LE(std::llabs(DuBytes() - empty), 4 << 20);
  RunResult content = ctr().Run({"content", "ls", "-q"});
  ASSERT_CTR_OK(content);
  EXPECT_EQ(content.out, "");
  RunResult snapshots = ctr().Run({"snapshots", "ls"});
  ASSERT_CTR_OK(snapshots);
  EXPECT_THAT(snapshots.out, Not(HasSubstr("sha256:")));
  nlohmann::json after = Df();
  EXPECT_EQ(after["reclaimable_bytes"].get<int64_t>(), 0) << after.dump(1);
  ExpectTotalMatchesDu(after);
}

// An image removed while a container still uses its snapshot: the container holds the snapshot and, through
// its parents, the image's layers; gc frees none of them.
TEST_F(DfTest, ContainerHoldsItsSnapshotAfterItsImageIsRemoved) {
  GeneratedImage image;
  const std::string ref = PullImage("df-container", &image);
  ASSERT_CTR_OK(ctr().Run({"containers", "create", "--snapshotter", "overlayfs", ref, "df-holder"}));
  ASSERT_CTR_OK(ctr().Run({"images", "rm", ref}));
  ASSERT_TRUE(Berth({"gc"}).ok());

  nlohmann::json report = Df();
  std::vector<nlohmann::json> own = Where(report, "key", "overlayfs/df-holder");
  ASSERT_EQ(own.size(), 1u) << report.dump(1);
  EXPECT_EQ(own[0]["category"], "snapshots");
  EXPECT_THAT(own[0]["holders"].get<std::vector<std::string>>(), Contains("container df-holder"));
  EXPECT_FALSE(own[0]["reclaimable"].get<bool>());
  int layers = 0;
  for (const auto& e : Where(report, "category", "snapshots")) {
    if (e["kind"] != "layer") continue;
    ++layers;
    EXPECT_THAT(e["holders"].get<std::vector<std::string>>(), Contains("container df-holder")) << e.dump();
    EXPECT_FALSE(e["reclaimable"].get<bool>()) << e.dump();
  }
  EXPECT_EQ(layers, 2);
  RunResult table = Berth({"df"});
  ASSERT_TRUE(table.ok()) << table.Describe();
  EXPECT_THAT(table.out, HasSubstr("container df-holder"));
  ASSERT_CTR_OK(ctr().Run({"containers", "rm", "df-holder"}));
}

}  // namespace
}  // namespace berth::testing
