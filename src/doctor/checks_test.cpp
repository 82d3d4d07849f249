// The pure parts of the checks: runc's version line, headroom thresholds, cgroup layouts.
#include <gtest/gtest.h>

#include "doctor/checks.h"

namespace berth::doctor {
namespace {

TEST(RuncVersion, ParsesDebianAndUpstreamOutput) {
  auto v = ParseRuncVersion(
      "runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\ngo: go1.19.8\nlibseccomp: 2.5.4\n");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, (Version{1, 1, 5}));
  EXPECT_FALSE(*v < kMinimumRunc);
  auto rc = ParseRuncVersion("runc version 1.2.0-rc.1\ncommit: v1.2.0-rc.1\n");
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(*rc, (Version{1, 2, 0}));
  auto old = ParseRuncVersion("runc version 1.0.3\n");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_TRUE(*old < kMinimumRunc);
}

TEST(RuncVersion, RejectsOtherOutput) {
  for (const char* bad : {"", "crun version 1.8.1\n", "runc version \n", "runc version x.y\n", "runc version 1\n"}) {
    EXPECT_FALSE(ParseRuncVersion(bad).ok()) << bad;
  }
}

constexpr uint64_t kGiB = 1ull << 30;

TEST(Headroom, ThresholdsForSpaceAndInodes) {
  auto status = [](uint64_t free_bytes, uint64_t free_inodes) {
    return EvaluateHeadroom("/r",
                            {.total_bytes = 100 * kGiB, .available_bytes = free_bytes * kGiB,
                             .total_inodes = 1000, .available_inodes = free_inodes},
                            nullptr)
        .status;
  };
  EXPECT_EQ(status(50, 500), Severity::kOk);
  EXPECT_EQ(status(9, 500), Severity::kWarn);
  EXPECT_EQ(status(1, 500), Severity::kFail);
  EXPECT_EQ(status(50, 40), Severity::kWarn);  // 4% of inodes
  EXPECT_EQ(status(50, 60), Severity::kOk);    // 6% of inodes: above the inode threshold
  EXPECT_EQ(status(50, 10), Severity::kFail);
}

TEST(Headroom, FixSaysWhatGcWouldFree) {
  Finding f = EvaluateHeadroom("/var/lib/berth", {.total_bytes = 100 * kGiB, .available_bytes = 5 * kGiB},
                               [] { return absl::StatusOr<int64_t>(3 * kGiB); });
  EXPECT_EQ(f.status, Severity::kWarn);
  EXPECT_NE(f.what.find("/var/lib/berth"), std::string::npos) << f.what;
  EXPECT_NE(f.fix.find("`berth gc` would free 3.0 GiB"), std::string::npos) << f.fix;
  EXPECT_NE(f.fix.find("berth df"), std::string::npos) << f.fix;
  // No inode limit (btrfs): only space counts.
  EXPECT_EQ(EvaluateHeadroom("/r", {.total_bytes = 100, .available_bytes = 50}, nullptr).status, Severity::kOk);
}

MountEntry Cgroup(const std::string& point, const std::string& type, const std::string& options) {
  return {.mount_point = point, .fs_type = type, .source = type, .super_options = options};
}

TEST(Cgroups, V2WithAndWithoutControllers) {
  std::vector<MountEntry> v2 = {Cgroup("/sys/fs/cgroup", "cgroup2", "rw,nsdelegate")};
  auto ok = EvaluateCgroups(v2, "cpuset cpu io memory hugetlb pids rdma misc\n");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].status, Severity::kOk);
  EXPECT_NE(ok[0].what.find("v2"), std::string::npos);
  auto missing = EvaluateCgroups(v2, "cpuset cpu io\n");
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].status, Severity::kWarn);
  EXPECT_NE(missing[0].what.find("memory, pids"), std::string::npos) << missing[0].what;
  EXPECT_FALSE(missing[0].fix.empty());
}

TEST(Cgroups, V1AndHybridAndNone) {
  std::vector<MountEntry> hybrid = {
      Cgroup("/sys/fs/cgroup/cpu", "cgroup", "rw,cpu"), Cgroup("/sys/fs/cgroup/memory", "cgroup", "rw,memory"),
      Cgroup("/sys/fs/cgroup/pids", "cgroup", "rw,pids"),
      Cgroup("/sys/fs/cgroup/systemd", "cgroup", "rw,name=systemd"),
      Cgroup("/sys/fs/cgroup/unified", "cgroup2", "rw")};
  auto h = EvaluateCgroups(hybrid, "");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].status, Severity::kWarn);
  EXPECT_NE(h[0].what.find("hybrid"), std::string::npos) << h[0].what;
  EXPECT_NE(h[0].detail.find("cpu memory pids"), std::string::npos) << h[0].detail;
  hybrid.erase(hybrid.begin() + 1);
  auto no_memory = EvaluateCgroups(hybrid, "");
  EXPECT_NE(no_memory[0].what.find("without memory"), std::string::npos) << no_memory[0].what;
  EXPECT_NE(no_memory[0].fix.find("-o memory"), std::string::npos) << no_memory[0].fix;
  auto none = EvaluateCgroups({Cgroup("/", "ext4", "rw")}, "");
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0].status, Severity::kFail);
}

}  // namespace
}  // namespace berth::doctor
