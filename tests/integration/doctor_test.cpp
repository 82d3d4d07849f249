// Issue 5 acceptance for `berth doctor` and fsck's leftover mounts: a clean berthd has no failure and says why for
// each warning; a mount planted under the state dir for a task that does not exist is named by doctor and fsck
// and removed by `fsck --repair`; with berthd down, doctor says so and still runs the checks here.

#include <sys/mount.h>

#include <filesystem>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/runtime_fixture.h"
#include "tests/util/fixture.h"
#include "tests/util/mounts.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

namespace fs = std::filesystem;

class DoctorTest : public BerthdServiceTest {
 protected:
  // `berth doctor --json ARGS`, parsed; the exit code in *exit_code.
  nlohmann::json DoctorJson(const std::vector<std::string>& extra, int* exit_code) {
    std::vector<std::string> args = {"doctor", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = Berth(args);
    *exit_code = r.exit_code;
    nlohmann::json parsed = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(parsed.is_discarded()) << r.Describe();
    return parsed;
  }

  // A bind mount of a scratch dir at `target` (created), as a dead task or an interrupted call would leave it.
  void PlantMount(const std::string& target) {
    const std::string source = scratch_.Join("planted-source");
    fs::create_directories(source);
    fs::create_directories(target);
    ASSERT_EQ(::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr), 0) << target;
  }

  // The findings of `check` in a doctor report.
  static std::vector<nlohmann::json> Findings(const nlohmann::json& report, const std::string& check) {
    std::vector<nlohmann::json> out;
    for (const nlohmann::json& f : report["findings"]) {
      if (f["check"] == check) out.push_back(f);
    }
    return out;
  }

  std::string Canonical(const std::string& path) { return fs::weakly_canonical(path).string(); }
};

// Unmounts what a test planted, however the test ends.
struct UnmountAtExit {
  std::string dir;
  ~UnmountAtExit() { UnmountAllUnder(dir); }
};

TEST_F(DoctorTest, CleanDaemonHasNoFailureAndExplainsEachWarning) {
  int exit_code = -1;
  nlohmann::json report = DoctorJson({}, &exit_code);
  EXPECT_EQ(exit_code, 0) << report.dump(2);
  EXPECT_EQ(report["source"], "berthd");
  EXPECT_EQ(report["ok"], true);
  EXPECT_EQ(report["root"], daemon_.root());
  EXPECT_EQ(report["state"], daemon_.state());
  std::set<std::string> checks;
  for (const nlohmann::json& f : report["findings"]) {
    checks.insert(f["check"].get<std::string>());
    for (const char* field : {"check", "status", "what", "detail", "fix"}) {
      EXPECT_TRUE(f.contains(field) && f[field].is_string()) << field << " in " << f.dump();
    }
    EXPECT_THAT(f["status"].get<std::string>(), ::testing::AnyOf("ok", "warn")) << f.dump();
    EXPECT_FALSE(f["what"].get<std::string>().empty()) << f.dump();
    if (f["status"] == "warn") {
      EXPECT_FALSE(f["fix"].get<std::string>().empty()) << "a warning says what to do: " << f.dump();
    }
  }
  EXPECT_EQ(checks, (std::set<std::string>{"overlay", "userns", "cgroups", "runc", "shims", "headroom", "mounts"}));
  // This host: overlayfs works under the root, runc is Debian 12's (>= 1.1), berthd's shim sits beside it.
  EXPECT_EQ(Findings(report, "overlay")[0]["status"], "ok") << report.dump(2);
  EXPECT_EQ(Findings(report, "runc")[0]["status"], "ok") << report.dump(2);
  EXPECT_THAT(Findings(report, "overlay")[0]["what"].get<std::string>(), HasSubstr(Canonical(daemon_.root())));
  // The probe mount is gone again.
  EXPECT_THAT(MountPointsUnder(Canonical(daemon_.root())), ::testing::IsEmpty());

  RunResult text = Berth({"doctor"});
  EXPECT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_THAT(text.out, HasSubstr("OK    overlay"));
  EXPECT_THAT(text.out, HasSubstr("0 fail (checked by berthd"));
}

TEST_F(DoctorTest, MountOfAGoneTaskIsNamedByDoctorAndFsckAndRemovedByRepair) {
  const std::string bundle = Canonical(daemon_.state()) + "/io.containerd.runtime.v2.task/berth-it/ghost";
  const std::string rootfs = bundle + "/rootfs";
  PlantMount(rootfs);
  UnmountAtExit unmount{bundle};

  int exit_code = -1;
  nlohmann::json report = DoctorJson({}, &exit_code);
  EXPECT_EQ(exit_code, 1) << report.dump(2);
  EXPECT_EQ(report["ok"], false);
  std::vector<nlohmann::json> mounts = Findings(report, "mounts");
  ASSERT_EQ(mounts.size(), 1u) << report.dump(2);
  EXPECT_EQ(mounts[0]["status"], "fail");
  EXPECT_THAT(mounts[0]["what"].get<std::string>(), HasSubstr(rootfs + " is still mounted, owned by task berth-it/ghost"));
  EXPECT_THAT(mounts[0]["fix"].get<std::string>(), HasSubstr("umount " + rootfs));

  RunResult check = Berth({"fsck"});
  EXPECT_EQ(check.exit_code, 1) << check.Describe();
  EXPECT_THAT(check.out, HasSubstr("mount " + rootfs));
  EXPECT_THAT(check.out, HasSubstr("owned by task berth-it/ghost"));
  EXPECT_THAT(check.out, HasSubstr("repair would: unmount it"));
  EXPECT_THAT(MountPointsUnder(rootfs), ::testing::SizeIs(1)) << "fsck without --repair changes nothing";

  RunResult repair = Berth({"fsck", "--repair"});
  EXPECT_EQ(repair.exit_code, 0) << repair.Describe();
  EXPECT_THAT(repair.out, HasSubstr("repaired: unmounted"));
  EXPECT_THAT(MountPointsUnder(rootfs), ::testing::IsEmpty());

  RunResult again = Berth({"fsck"});
  EXPECT_EQ(again.exit_code, 0) << again.Describe();
  EXPECT_EQ(DoctorJson({}, &exit_code)["ok"], true);
  EXPECT_EQ(exit_code, 0);
}

// A temp mount may belong to a diff call in flight while its berthd runs; one that was there before berthd
// started cannot.
TEST_F(DoctorTest, TempMountIsALeftoverOnceItsDaemonIsGone) {
  const std::string temp = Canonical(daemon_.state()) + "/tmpmounts/berth-diff-planted";
  PlantMount(temp);
  UnmountAtExit unmount{temp};
  int exit_code = -1;
  nlohmann::json live = DoctorJson({}, &exit_code);
  EXPECT_EQ(exit_code, 0) << live.dump(2);

  ASSERT_TRUE(daemon_.Restart());
  nlohmann::json after = DoctorJson({}, &exit_code);
  EXPECT_EQ(exit_code, 1) << after.dump(2);
  std::vector<nlohmann::json> mounts = Findings(after, "mounts");
  ASSERT_EQ(mounts.size(), 1u) << after.dump(2);
  EXPECT_THAT(mounts[0]["what"].get<std::string>(), HasSubstr(temp));
  EXPECT_THAT(mounts[0]["what"].get<std::string>(), HasSubstr("before the running berthd started"));
  RunResult repair = Berth({"fsck", "--repair"});
  EXPECT_EQ(repair.exit_code, 0) << repair.Describe();
  EXPECT_THAT(MountPointsUnder(temp), ::testing::IsEmpty());
}

TEST_F(DoctorTest, BerthdDownIsAFindingAndTheChecksRunHere) {
  const std::string temp = Canonical(daemon_.state()) + "/tmpmounts/berth-diff-interrupted";
  PlantMount(temp);
  UnmountAtExit unmount{temp};
  ASSERT_TRUE(daemon_.Stop());

  int exit_code = -1;
  nlohmann::json report = DoctorJson({"--root", daemon_.root(), "--state", daemon_.state()}, &exit_code);
  EXPECT_EQ(exit_code, 1) << report.dump(2);
  EXPECT_EQ(report["source"], "local");
  ASSERT_FALSE(report["findings"].empty());
  const nlohmann::json& down = report["findings"][0];
  EXPECT_EQ(down["check"], "berthd");
  EXPECT_EQ(down["status"], "fail");
  EXPECT_THAT(down["what"].get<std::string>(), HasSubstr("berthd does not answer on " + daemon_.socket()));
  EXPECT_THAT(down["fix"].get<std::string>(), HasSubstr("berthd --root " + daemon_.root()));
  for (const char* check : {"overlay", "userns", "cgroups", "runc", "shims", "headroom"}) {
    EXPECT_FALSE(Findings(report, check).empty()) << check << " ran without berthd: " << report.dump(2);
  }
  std::vector<nlohmann::json> mounts = Findings(report, "mounts");
  ASSERT_EQ(mounts.size(), 1u) << report.dump(2);
  EXPECT_EQ(mounts[0]["status"], "fail");
  EXPECT_THAT(mounts[0]["what"].get<std::string>(), HasSubstr(temp));
  EXPECT_THAT(mounts[0]["what"].get<std::string>(), HasSubstr("no berthd runs on this root"));

  RunResult text = Berth({"doctor", "--root", daemon_.root(), "--state", daemon_.state()});
  EXPECT_EQ(text.exit_code, 1) << text.Describe();
  EXPECT_THAT(text.out, HasSubstr("FAIL  berthd"));
  EXPECT_THAT(text.out, HasSubstr("checked here: berthd is down"));
}

using DoctorRuntimeTest = RuntimeTest;

// No false alarm: a running task's rootfs is its own, and fsck --repair leaves it mounted.
TEST_F(DoctorRuntimeTest, RootfsOfARunningTaskIsNoLeftover) {
  if (daemon_.kind() != DaemonKind::kBerthd) GTEST_SKIP() << "berth doctor is berthd's own service";
  ASSERT_TRUE(Run({"-d", kBusybox, "live", "sleep", "1000"}).ok());
  const std::string rootfs = fs::weakly_canonical(BundleDir()).string() + "/live/rootfs";
  ASSERT_THAT(MountPointsUnder(rootfs), ::testing::Not(::testing::IsEmpty()));

  RunResult doctor = Berth({"doctor", "--json"});
  EXPECT_EQ(doctor.exit_code, 0) << doctor.Describe();
  nlohmann::json report = nlohmann::json::parse(doctor.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(report.is_discarded()) << doctor.Describe();
  bool seen = false;
  for (const nlohmann::json& f : report["findings"]) {
    if (f["check"] != "mounts") continue;
    seen = true;
    EXPECT_EQ(f["status"], "ok") << f.dump();
    EXPECT_THAT(f["detail"].get<std::string>(), HasSubstr("1 mounts of live tasks")) << f.dump();
  }
  EXPECT_TRUE(seen) << report.dump(2);

  RunResult repair = Berth({"fsck", "--repair"});
  EXPECT_EQ(repair.exit_code, 0) << repair.Describe();
  EXPECT_THAT(repair.out, ::testing::Not(HasSubstr(rootfs)));
  EXPECT_THAT(MountPointsUnder(rootfs), ::testing::Not(::testing::IsEmpty()));
  EXPECT_EQ(TaskStatus("live"), "RUNNING");
}

}  // namespace
}  // namespace berth::testing
