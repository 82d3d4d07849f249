// The userns check over real snapshot dirs chowned in a temp root, with mappings passed in (running berthd in a
// user namespace is not needed to decide whether an owner is mapped). Needs root for chown.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "doctor/checks.h"

namespace berth::doctor {
namespace {

namespace fs = std::filesystem;

class UsernsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "chown needs root";
    std::string pattern = (fs::temp_directory_path() / "berth-doctor-userns-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    if (!root_.empty()) fs::remove_all(root_, ec);
  }

  // A layer root at `rel` under the temp root, owned by uid:gid.
  std::string Layer(const std::string& rel, uid_t uid, gid_t gid) {
    fs::path dir = fs::path(root_) / rel;
    fs::create_directories(dir);
    EXPECT_EQ(::chown(dir.c_str(), uid, gid), 0) << dir;
    return dir.string();
  }

  static IdMap Map(uint32_t inside, uint32_t outside, uint32_t count) { return {{inside, outside, count}}; }

  std::string root_;
};

constexpr const char* kOverlay = "io.containerd.snapshotter.v1.overlayfs/snapshots/";
constexpr const char* kNative = "io.containerd.snapshotter.v1.native/snapshots/";

TEST_F(UsernsTest, FindsTheLayerRootsOfBothSnapshotters) {
  const std::string a = Layer(std::string(kOverlay) + "1/fs", 0, 0);
  const std::string b = Layer(std::string(kNative) + "7", 0, 0);
  Layer(std::string(kOverlay) + "new-x1y2z3/fs", 0, 0);  // being created: not a snapshot yet
  std::vector<std::string> dirs = SnapshotLayerDirs(root_);
  std::sort(dirs.begin(), dirs.end());
  EXPECT_EQ(dirs, (std::vector<std::string>{b, a}));
}

TEST_F(UsernsTest, ContainerMappingNamesTheDirOwnerAndMapping) {
  const std::string mapped = Layer(std::string(kOverlay) + "1/fs", 100000, 100000);
  const std::string host_root = Layer(std::string(kOverlay) + "2/fs", 0, 0);
  const IdMappings container{.uid = Map(0, 100000, 65536), .gid = Map(0, 100000, 65536)};
  auto findings = CheckSnapshotOwners(SnapshotLayerDirs(root_), container,
                                      {.side = MappingSide::kContainerHost, .whose = "container c1's mapping"});
  ASSERT_EQ(findings.size(), 1u);
  const Finding& f = findings[0];
  EXPECT_EQ(f.status, Severity::kFail);
  EXPECT_EQ(f.check, "userns");
  EXPECT_NE(f.what.find("1 snapshot dirs"), std::string::npos) << f.what;
  EXPECT_NE(f.what.find("container c1's mapping"), std::string::npos) << f.what;
  EXPECT_NE(f.detail.find(host_root + " is owned by 0:0"), std::string::npos) << f.detail;
  EXPECT_EQ(f.detail.find(mapped), std::string::npos) << f.detail;
  EXPECT_NE(f.detail.find("uid_map 0:100000:65536"), std::string::npos) << f.detail;
  EXPECT_NE(f.fix.find("chown"), std::string::npos) << f.fix;

  // Once chowned into the mapping, the check passes.
  ASSERT_EQ(::chown(host_root.c_str(), 100000, 100000), 0);
  auto fixed = CheckSnapshotOwners(SnapshotLayerDirs(root_), container, {.side = MappingSide::kContainerHost});
  ASSERT_EQ(fixed.size(), 1u);
  EXPECT_EQ(fixed[0].status, Severity::kOk) << fixed[0].detail;
}

TEST_F(UsernsTest, OwnNamespaceRejectsUnmappedAndOverflowOwners) {
  Layer(std::string(kOverlay) + "1/fs", 0, 0);
  const std::string outside = Layer(std::string(kOverlay) + "2/fs", 70000, 0);
  const std::string overflow = Layer(std::string(kNative) + "3", 65534, 65534);
  const IdMappings own{.uid = Map(0, 100000, 65536), .gid = Map(0, 100000, 65536)};
  auto findings = CheckSnapshotOwners(SnapshotLayerDirs(root_), own, {.side = MappingSide::kOwnNamespace});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].status, Severity::kFail);
  EXPECT_NE(findings[0].what.find("2 snapshot dirs"), std::string::npos) << findings[0].what;
  EXPECT_NE(findings[0].detail.find(outside + " is owned by 70000:0 (uid not mapped)"), std::string::npos)
      << findings[0].detail;
  EXPECT_NE(findings[0].detail.find(overflow + " is owned by 65534:65534 (uid the overflow id"), std::string::npos)
      << findings[0].detail;
}

TEST_F(UsernsTest, InitialNamespaceMapsEveryOwner) {
  Layer(std::string(kOverlay) + "1/fs", 70000, 70000);
  const IdMappings initial{.uid = Map(0, 0, 4294967295u), .gid = Map(0, 0, 4294967295u)};
  auto findings = CheckSnapshotOwners(SnapshotLayerDirs(root_), initial, {.side = MappingSide::kOwnNamespace});
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].status, Severity::kOk);
}

}  // namespace
}  // namespace berth::doctor
