// Issue 5 (garbage collection): `berth gc [--dry-run]` names what nothing holds any more, and removes it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/util/fixture.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class GcCliTest : public BerthdServiceTest {
 protected:
  RunResult BerthGc(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {std::string(BERTH_BIN_DIR) + "/berth", "--address", daemon_.socket(),
                                     "--namespace", "berth-it", "gc"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv);
  }
  std::string SnapshotList(const Ctr& c) {
    auto r = c.Run({"snapshots", "ls"});
    EXPECT_CTR_OK(r);
    return r.out;
  }
};

// ctr labels what it prepares and commits containerd.io/gc.root; taking the label off a committed snapshot makes it
// garbage, and a label update deletes nothing, so no collection runs by itself until someone asks.
TEST_F(GcCliTest, DryRunNamesGarbageAndKeepsItThenGcRemovesIt) {
  Ctr c = ctr();
  ASSERT_CTR_OK(c.Run({"snapshots", "prepare", "kept-active", ""}));
  ASSERT_CTR_OK(c.Run({"snapshots", "prepare", "to-commit", ""}));
  ASSERT_CTR_OK(c.Run({"snapshots", "commit", "orphan-layer", "to-commit"}));
  ASSERT_CTR_OK(c.Run({"snapshots", "label", "orphan-layer", "containerd.io/gc.root="}));
  ASSERT_THAT(SnapshotList(c), HasSubstr("orphan-layer"));

  RunResult dry = BerthGc({"--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.Describe();
  EXPECT_THAT(dry.out, HasSubstr("would remove snapshot overlayfs/orphan-layer (ns berth-it): unreachable"));
  EXPECT_THAT(dry.out, Not(HasSubstr("kept-active"))) << "gc.root-labelled snapshots are roots";
  EXPECT_THAT(dry.out, HasSubstr("dry run:"));
  EXPECT_THAT(SnapshotList(c), HasSubstr("orphan-layer")) << "a dry run removes nothing";

  RunResult run = BerthGc();
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_THAT(run.out, HasSubstr("removed snapshot overlayfs/orphan-layer"));
  std::string after = SnapshotList(c);
  EXPECT_THAT(after, Not(HasSubstr("orphan-layer")));
  EXPECT_THAT(after, HasSubstr("kept-active"));

  RunResult again = BerthGc({"--dry-run"});
  ASSERT_EQ(again.exit_code, 0) << again.Describe();
  EXPECT_THAT(again.out, Not(HasSubstr("would remove snapshot"))) << "the store has converged";
}

// Issue 5: `berth gc` shows its phases on stderr (stdout keeps the removals), and berthd logs one summary line
// per run with what it removed of each kind and how long each phase took.
TEST_F(GcCliTest, PrintsItsPhasesAndTheDaemonLogsOneSummaryLine) {
  Ctr c = ctr();
  // Unreferenced blobs: ctr ingests without a lease and an ingest deletes nothing, so no collection starts.
  size_t bytes = 0;
  for (int i = 0; i < 3; ++i) {
    std::string data = "garbage blob " + std::to_string(i);
    bytes += data.size();
    ASSERT_CTR_OK(Ingest(c, "garbage-" + std::to_string(i), data));
  }
  ASSERT_CTR_OK(c.Run({"snapshots", "prepare", "to-commit", ""}));
  ASSERT_CTR_OK(c.Run({"snapshots", "commit", "orphan-layer", "to-commit"}));
  ASSERT_CTR_OK(c.Run({"snapshots", "label", "orphan-layer", "containerd.io/gc.root="}));
  const size_t log_before = ReadFileOrDie(daemon_.log_path()).size();

  RunResult run = BerthGc();
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  EXPECT_THAT(run.err, HasSubstr("gc: marking\n"));
  EXPECT_THAT(run.err, HasSubstr("gc: sweeping metadata: 4 records\n"));
  EXPECT_THAT(run.err, HasSubstr("gc: removing disk objects: 3/3\n"));
  EXPECT_THAT(run.err, HasSubstr("gc: removing snapshots: 1\n"));
  EXPECT_THAT(run.out, Not(HasSubstr("gc: marking"))) << "progress stays off stdout";

  std::vector<std::string> summaries;
  for (const std::string& line : Lines(ReadFileOrDie(daemon_.log_path()).substr(log_before))) {
    if (line.find("gc: removed ") != std::string::npos) summaries.push_back(line);
  }
  ASSERT_EQ(summaries.size(), 1u) << daemon_.LogTail();
  EXPECT_THAT(summaries[0], HasSubstr("removed 3 content, 1 snapshot, 0 lease, 0 ingest records; on disk 3 blobs (" +
                                      std::to_string(bytes) + " B), 1 snapshots, 0 ingests; in "));
  EXPECT_THAT(summaries[0], ::testing::ContainsRegex("\\(mark [0-9]+ ms, sweep [0-9]+ ms, disk [0-9]+ ms\\)"));
}

TEST_F(GcCliTest, FailsClearlyWithoutADaemon) {
  RunResult r = RunCommand({std::string(BERTH_BIN_DIR) + "/berth", "--address", scratch_.Join("none.sock"), "gc"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("berth: gc:"));
}

}  // namespace
}  // namespace berth::testing
