// Issue 5 acceptance for `berth fsck`: a damaged blob is named by digest and refetched from the registry it was
// pulled from; data without records is named and removed; a clean store exits 0.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/util/fixture.h"
#include "tests/util/mounts.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class FsckTest : public BerthdServiceTest {
 protected:
  // A 2-layer image of 256 KiB per layer, pulled with `berth pull`; returns its ref.
  std::string PullImage(const std::string& repo, GeneratedImage* image) {
    return PullGeneratedImage(repo, 61, 256 << 10, image);
  }

  std::filesystem::path BlobPath(const std::string& digest) {
    return std::filesystem::path(daemon_.root()) / "content/blobs/sha256" / digest.substr(digest.find(':') + 1);
  }
};

TEST_F(FsckTest, CleanStoreExitsZero) {
  GeneratedImage image;
  PullImage("fsck-clean", &image);
  RunResult r = Berth({"fsck"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(r.out, HasSubstr(std::to_string(image.BlobDigests().size()) + " blobs"));
  EXPECT_THAT(r.out, HasSubstr("0 problems"));
}

// Issue 5: every fsck run ends in one summary line in berthd's log, with its counts and duration.
TEST_F(FsckTest, DaemonLogsOneSummaryLinePerRun) {
  GeneratedImage image;
  PullImage("fsck-log", &image);
  const size_t log_before = ReadFileOrDie(daemon_.log_path()).size();
  ASSERT_EQ(Berth({"fsck"}).exit_code, 0);
  std::vector<std::string> summaries;
  for (const std::string& line : Lines(ReadFileOrDie(daemon_.log_path()).substr(log_before))) {
    if (line.find("fsck: ") != std::string::npos) summaries.push_back(line);
  }
  ASSERT_EQ(summaries.size(), 1u) << daemon_.LogTail();
  EXPECT_THAT(summaries[0], HasSubstr(std::to_string(image.BlobDigests().size()) +
                                      " blobs and 2 snapshots checked, 0 problems, 0 repaired, 0 remaining in "));
}

TEST_F(FsckTest, FlippedByteInBlobIsNamedThenRefetchedFromTheRegistry) {
  GeneratedImage image;
  const std::string ref = PullImage("fsck-flip", &image);
  const std::string layer = image.layers.back();
  {
    std::fstream f(BlobPath(layer), std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good()) << BlobPath(layer);
    f.seekg(1000);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(1000);
    f.write(&c, 1);
  }

  RunResult check = Berth({"fsck"});
  EXPECT_EQ(check.exit_code, 1) << check.Describe();
  EXPECT_THAT(check.out, HasSubstr("blob " + layer));
  EXPECT_THAT(check.out, HasSubstr("does not match its digest"));
  EXPECT_THAT(check.out, HasSubstr("image " + ref));
  EXPECT_THAT(check.out, HasSubstr("repair would: refetch it from"));

  RunResult json = Berth({"fsck", "--json"});
  EXPECT_EQ(json.exit_code, 1) << json.Describe();
  nlohmann::json parsed = nlohmann::json::parse(json.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(parsed.is_discarded()) << json.out;
  ASSERT_EQ(parsed["problems"].size(), 1u) << json.out;
  EXPECT_EQ(parsed["problems"][0]["object"], "blob " + layer);
  EXPECT_EQ(parsed["remaining"], 1);

  RunResult repair = Berth({"fsck", "--repair", "--plain-http"});
  EXPECT_EQ(repair.exit_code, 0) << repair.Describe() << daemon_.LogTail();
  EXPECT_THAT(repair.out, HasSubstr("repaired: refetch it from"));
  GetBlobChecked(ctr(), layer);

  RunResult again = Berth({"fsck"});
  EXPECT_EQ(again.exit_code, 0) << again.Describe();
  EXPECT_THAT(again.out, HasSubstr("0 problems"));
}

// Incident 1: a cleanup script deleted /pause from an unpacked layer.
TEST_F(FsckTest, FileDeletedFromUnpackedLayerIsNamedThenRestoredByReunpacking) {
  ImageSpec spec{.name = "docker.io/library/fsck-pause:v1"};
  spec.custom_layers = {
      {.entries = {File("pause", "#!/bin/sh\nsleep inf\n", 0755), Dir("etc"), File("etc/motd", "hi").Owner(7, 8),
                   Symlink("motd", "etc/link")}},
      {.entries = {Dir("app"), RandomFile("app/data", 200 << 10)}}};
  GeneratedImage image;
  std::string ref;
  MakeRegistryImage(spec, "fsck-pause", &image, &ref);
  RunResult pulled = Berth({"pull", "--plain-http", ref});
  ASSERT_TRUE(pulled.ok()) << pulled.Describe();
  ASSERT_EQ(Berth({"fsck"}).exit_code, 0) << "a fresh pull is clean";

  std::filesystem::path pause;
  for (const auto& d : std::filesystem::directory_iterator(std::filesystem::path(daemon_.root()) /
                                                           "io.containerd.snapshotter.v1.overlayfs/snapshots")) {
    if (std::filesystem::exists(d.path() / "fs/pause")) pause = d.path() / "fs/pause";
  }
  ASSERT_FALSE(pause.empty()) << "no unpacked layer holds /pause";
  ASSERT_TRUE(std::filesystem::remove(pause));
  std::ofstream(pause.parent_path() / "etc/motd", std::ios::trunc) << "changed";

  RunResult check = Berth({"fsck"});
  EXPECT_EQ(check.exit_code, 1) << check.Describe();
  EXPECT_THAT(check.out, HasSubstr("/pause missing"));
  EXPECT_THAT(check.out, HasSubstr("/etc/motd size"));
  EXPECT_THAT(check.out, HasSubstr("image " + ref));
  EXPECT_THAT(check.out, HasSubstr("repair would: re-unpack layer " + image.layers[0]));

  RunResult repair = Berth({"fsck", "--repair"});
  EXPECT_EQ(repair.exit_code, 0) << repair.Describe() << daemon_.LogTail();
  ASSERT_TRUE(std::filesystem::exists(pause)) << "the layer is back where the snapshot's mounts point";
  EXPECT_EQ(ReadFileOrDie(pause.string()), "#!/bin/sh\nsleep inf\n");
  EXPECT_EQ(std::filesystem::status(pause).permissions() & std::filesystem::perms::all,
            static_cast<std::filesystem::perms>(0755));
  EXPECT_EQ(ReadFileOrDie((pause.parent_path() / "etc/motd").string()), "hi");
  RunResult again = Berth({"fsck"});
  EXPECT_EQ(again.exit_code, 0) << again.Describe() << "the tree is entry by entry the layer again";
  RunResult snapshots = ctr().Run({"snapshots", "ls"});
  EXPECT_THAT(snapshots.out, Not(HasSubstr("fsck-repair"))) << "the snapshot used for the repair is gone";
}

// Safe while containers run: a layer under a live mount is reported, and swapped only with --force.
TEST_F(FsckTest, MountedDamagedLayerIsRepairedOnlyWithForce) {
  ImageSpec spec{.name = "docker.io/library/fsck-mounted:v1"};
  spec.custom_layers = {{.entries = {File("pause", "p", 0755)}}, {.entries = {File("app", "a")}}};
  GeneratedImage image;
  std::string ref;
  MakeRegistryImage(spec, "fsck-mounted", &image, &ref);
  ASSERT_TRUE(Berth({"pull", "--plain-http", ref}).ok());
  ImageMount mounted;
  ASSERT_TRUE(ImageMount::Mount(ctr(), ref, scratch_.Join("rootfs"), &mounted));
  std::filesystem::path pause;
  for (const auto& d : std::filesystem::directory_iterator(std::filesystem::path(daemon_.root()) /
                                                           "io.containerd.snapshotter.v1.overlayfs/snapshots")) {
    if (std::filesystem::exists(d.path() / "fs/pause")) pause = d.path() / "fs/pause";
  }
  ASSERT_FALSE(pause.empty());
  ASSERT_TRUE(std::filesystem::remove(pause));

  RunResult refused = Berth({"fsck", "--repair"});
  EXPECT_EQ(refused.exit_code, 1) << refused.Describe();
  EXPECT_THAT(refused.out, HasSubstr("/pause missing"));
  EXPECT_THAT(refused.out, HasSubstr("NOT repaired"));
  EXPECT_THAT(refused.out, HasSubstr("--force"));
  EXPECT_FALSE(std::filesystem::exists(pause)) << "a mounted layer is not swapped without --force";

  RunResult forced = Berth({"fsck", "--repair", "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.Describe();
  EXPECT_TRUE(std::filesystem::exists(pause));
  ASSERT_TRUE(mounted.Unmount());
  EXPECT_EQ(Berth({"fsck"}).exit_code, 0);
}

TEST_F(FsckTest, DataWithoutRecordsIsNamedAndRemoved) {
  GeneratedImage image;
  PullImage("fsck-orphan", &image);
  // The pull's lease deletion triggers a collection (rate-limited to one per 100 ms), which would take the
  // planted directory before fsck sees it: let it run out first.
  ASSERT_TRUE(Berth({"gc"}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::filesystem::path planted =
      std::filesystem::path(daemon_.root()) / "io.containerd.snapshotter.v1.overlayfs/snapshots/planted-by-test";
  std::filesystem::create_directories(planted);
  std::ofstream(planted / "junk") << "junk";

  RunResult check = Berth({"fsck"});
  EXPECT_EQ(check.exit_code, 1) << check.Describe();
  EXPECT_THAT(check.out, HasSubstr(planted.string()));
  EXPECT_TRUE(std::filesystem::exists(planted)) << "fsck without --repair changes nothing";

  RunResult repair = Berth({"fsck", "--repair"});
  EXPECT_EQ(repair.exit_code, 0) << repair.Describe();
  EXPECT_FALSE(std::filesystem::exists(planted));
  RunResult again = Berth({"fsck"});
  EXPECT_EQ(again.exit_code, 0) << again.Describe();
  ExpectAllBlobsIntact(ctr());
}

}  // namespace
}  // namespace berth::testing
