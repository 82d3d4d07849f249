// Issue 5 acceptance, incident 1 end to end: a file deleted from an unpacked lower layer makes `ctr run` fail;
// `berth fsck` names the file and the image; `berth fsck --repair` restores it and the container runs again.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/util/files.h"
#include "tests/util/fixture.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

class FsckRunTest : public BerthdServiceTest {
 protected:
  RunResult CtrRun(const std::string& ref, const std::string& id) {
    return ctr().Run({"run", "--rm", "--runtime", "io.containerd.berth.v1", ref, id, "/pause"});
  }
};

TEST_F(FsckRunTest, FileDeletedFromALowerLayerBreaksRunUntilRepaired) {
  // Lower layer: busybox; upper layer: the /pause the container runs (a script for busybox's sh).
  LayerSpec base{.compression = "gzip"};
  base.entries = {Dir("bin"), File("bin/busybox", ReadFileOrDie("/bin/busybox"), 0755), Symlink("busybox", "bin/sh")};
  for (const char* d : {"proc", "sys", "dev", "etc", "tmp"}) base.entries.push_back(Dir(d));
  LayerSpec pause{.entries = {File("pause", "#!/bin/sh\necho pause ran\n", 0755)}};
  ImageSpec spec{.name = "docker.io/library/fsck-run:v1"};
  spec.custom_layers = {base, pause};
  GeneratedImage image;
  std::string ref;
  MakeRegistryImage(spec, "fsck-run", &image, &ref);
  ASSERT_TRUE(Berth({"pull", "--plain-http", ref}).ok());
  RunResult before = CtrRun(ref, "fsck-run-1");
  ASSERT_EQ(before.exit_code, 0) << before.Describe();
  ASSERT_EQ(before.out, "pause ran\n");

  std::filesystem::path deleted;
  for (const auto& d : std::filesystem::directory_iterator(std::filesystem::path(daemon_.root()) /
                                                           "io.containerd.snapshotter.v1.overlayfs/snapshots")) {
    if (std::filesystem::exists(d.path() / "fs/pause")) deleted = d.path() / "fs/pause";
  }
  ASSERT_FALSE(deleted.empty()) << "no unpacked layer holds /pause";
  ASSERT_TRUE(std::filesystem::remove(deleted));
  RunResult broken = CtrRun(ref, "fsck-run-2");
  EXPECT_NE(broken.exit_code, 0) << "the container cannot start without /pause: " << broken.Describe();

  RunResult check = Berth({"fsck"});
  EXPECT_EQ(check.exit_code, 1) << check.Describe();
  EXPECT_THAT(check.out, HasSubstr("/pause missing"));
  EXPECT_THAT(check.out, HasSubstr("image " + ref));
  RunResult repair = Berth({"fsck", "--repair"});
  EXPECT_EQ(repair.exit_code, 0) << repair.Describe() << daemon_.LogTail();

  RunResult after = CtrRun(ref, "fsck-run-3");
  EXPECT_EQ(after.exit_code, 0) << after.Describe();
  EXPECT_EQ(after.out, "pause ran\n");
  EXPECT_EQ(Berth({"fsck"}).exit_code, 0);
}

}  // namespace
}  // namespace berth::testing
