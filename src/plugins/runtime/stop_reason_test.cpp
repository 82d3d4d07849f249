// Unit tests of stop reasons: the words for an exit status, and the record the shims' events leave in a bundle.
#include "plugins/runtime/stop_reason.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "github.com/containerd/containerd/api/events/task.pb.h"

namespace berth::runtime {
namespace {

namespace fs = std::filesystem;

class TempRoot {
 public:
  TempRoot() {
    std::string tmpl = (fs::temp_directory_path() / "berth-stop-reason-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempRoot() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ExitEvent(const std::string& container_id, const std::string& id, uint32_t status) {
  containerd::events::TaskExit e;
  e.set_container_id(container_id);
  e.set_id(id);
  e.set_exit_status(status);
  return e.SerializeAsString();
}

std::string OomEvent(const std::string& container_id) {
  containerd::events::TaskOOM e;
  e.set_container_id(container_id);
  return e.SerializeAsString();
}

TEST(ExitReasonTest, Words) {
  EXPECT_EQ(ExitReason(0, false), "exited");
  EXPECT_EQ(ExitReason(3, false), "exited");
  EXPECT_EQ(ExitReason(137, false), "killed by SIGKILL");
  EXPECT_EQ(ExitReason(143, false), "killed by SIGTERM");
  EXPECT_EQ(ExitReason(128, false), "exited");
  EXPECT_EQ(ExitReason(255, false), "exited");
  EXPECT_EQ(ExitReason(137, true), "OOM killed");
  EXPECT_EQ(ExitReason(1, true), "OOM killed");  // a child was OOM-killed and the init gave up
  EXPECT_EQ(ExitReason(0, true), "exited");      // ... or carried on and succeeded
}

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bundle_ = root_.path() + "/ns/c1";
    fs::create_directories(bundle_);
    // A cgroup no machine has: the record, not the cgroup, must decide.
    std::ofstream(bundle_ + "/config.json") << R"({"linux":{"cgroupsPath":"/berth-unit-test-none/c1"}})";
  }
  StopRecord Record() {
    auto r = ReadStopRecord(bundle_);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : StopRecord{};
  }

  TempRoot root_;
  std::string bundle_;
  StopReasonRecorder recorder_{root_.path()};
};

TEST_F(RecorderTest, NothingRecordedBeforeTheExit) {
  EXPECT_FALSE(Record().reason.has_value());
  EXPECT_FALSE(fs::exists(bundle_ + "/stop-reason.json"));
}

TEST_F(RecorderTest, InitExitRecordsItsReason) {
  recorder_.Observe("ns", "/tasks/exit", ExitEvent("c1", "c1", 3));
  EXPECT_EQ(Record().reason, "exited");
  EXPECT_EQ(Record().exit_status, 3u);
}

TEST_F(RecorderTest, ExecExitIsNotTheTasks) {
  recorder_.Observe("ns", "/tasks/exit", ExitEvent("c1", "exec-1", 137));
  EXPECT_FALSE(Record().reason.has_value());
}

TEST_F(RecorderTest, OomBeforeOrAfterTheExit) {
  recorder_.Observe("ns", "/tasks/oom", OomEvent("c1"));
  EXPECT_TRUE(Record().oom);
  recorder_.Observe("ns", "/tasks/exit", ExitEvent("c1", "c1", 137));
  EXPECT_EQ(Record().reason, "OOM killed");

  // The shim reports OOM and exit from two threads: an OOM event after the exit still counts.
  fs::remove(bundle_ + "/stop-reason.json");
  recorder_.Observe("ns", "/tasks/exit", ExitEvent("c1", "c1", 137));
  EXPECT_EQ(Record().reason, "killed by SIGKILL");
  recorder_.Observe("ns", "/tasks/oom", OomEvent("c1"));
  EXPECT_EQ(Record().reason, "OOM killed");
}

TEST_F(RecorderTest, IdsOutsideTheTasksRootAreIgnored) {
  fs::create_directories(root_.path() + "/outside");
  recorder_.Observe("ns", "/tasks/exit", ExitEvent("../outside", "../outside", 1));
  recorder_.Observe("..", "/tasks/oom", OomEvent("ns"));
  recorder_.Observe("ns", "/tasks/exit", ExitEvent("absent", "absent", 1));
  EXPECT_FALSE(fs::exists(root_.path() + "/outside/stop-reason.json"));
  EXPECT_FALSE(fs::exists(root_.path() + "/ns/stop-reason.json"));
  EXPECT_FALSE(fs::exists(root_.path() + "/ns/absent"));
}

TEST_F(RecorderTest, UnreadableEventsAndRecordsLoseNothing) {
  recorder_.Observe("ns", "/tasks/exit", "\xff\xff\xff");  // not a TaskExit: ignored
  EXPECT_FALSE(fs::exists(bundle_ + "/stop-reason.json"));
  std::ofstream(bundle_ + "/stop-reason.json") << "{not json";
  EXPECT_EQ(ReadStopRecord(bundle_).status().code(), absl::StatusCode::kDataLoss);
  // The next exit writes a good record over the damaged one.
  recorder_.Observe("ns", "/tasks/exit", ExitEvent("c1", "c1", 0));
  EXPECT_EQ(Record().reason, "exited");
}

TEST(CgroupOomKillsTest, OnlyPlainAbsoluteCgroupfsPaths) {
  TempRoot root;
  auto with_path = [&](const std::string& path) {
    std::ofstream(root.path() + "/config.json") << R"({"linux":{"cgroupsPath":")" + path + R"("}})";
    return CgroupOomKills(root.path());
  };
  EXPECT_FALSE(with_path("system.slice:berth:c1").has_value());
  EXPECT_FALSE(with_path("/../../etc").has_value());
  EXPECT_FALSE(with_path("relative/c1").has_value());
  EXPECT_FALSE(with_path("/berth-unit-test-none/c1").has_value());
  // The root memory cgroup exists wherever cgroups are mounted; its count is a number, whatever it is.
  if (fs::exists("/sys/fs/cgroup/memory/memory.oom_control") || fs::exists("/sys/fs/cgroup/memory.events")) {
    EXPECT_TRUE(with_path("/").has_value());
  }
}

}  // namespace
}  // namespace berth::runtime
