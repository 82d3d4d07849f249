// Tests of the metadata side: labels and Update, Remove, Walk with filters, persistence across a restart,
// concurrent creation of one key, Cleanup.
#include <atomic>
#include <fstream>
#include <thread>

#include "core/snapshots/testsuite/snapshot_suite.h"

namespace berth::snapshots::testing {
namespace {

// containerd's baseTestSnapshots: c1 <- c2 committed; a1 on c2, a2 alone; v1 on c2, v2 alone.
absl::Status BaseSnapshots(Snapshotter& sn, const Context& ctx, const Options& opts) {
  RETURN_IF_ERROR(sn.Prepare(ctx, "c1-a", "", opts).status());
  RETURN_IF_ERROR(sn.Commit(ctx, "c1", "c1-a", opts));
  RETURN_IF_ERROR(sn.Prepare(ctx, "c2-a", "c1", opts).status());
  RETURN_IF_ERROR(sn.Commit(ctx, "c2", "c2-a", opts));
  RETURN_IF_ERROR(sn.Prepare(ctx, "a1", "c2", opts).status());
  RETURN_IF_ERROR(sn.Prepare(ctx, "a2", "", opts).status());
  RETURN_IF_ERROR(sn.View(ctx, "v1", "c2", opts).status());
  return sn.View(ctx, "v2", "", opts).status();
}

std::map<std::string, Info> WalkAll(Snapshotter& sn, const Context& ctx, const std::vector<std::string>& filters,
                                    absl::Status* status) {
  std::map<std::string, Info> out;
  *status = sn.Walk(ctx, filters, [&](const Info& info) {
    out[info.name] = info;
    return absl::OkStatus();
  });
  return out;
}

std::vector<std::string> Names(const std::map<std::string, Info>& infos) {
  std::vector<std::string> names;
  for (const auto& [name, info] : infos) names.push_back(name);
  return names;
}

}  // namespace

// containerd's checkUpdate.
TEST_P(SnapshotSuite, Update) {
  const absl::Time t1 = absl::Now();
  BERTH_ASSERT_OK(BaseSnapshots(sn(), ctx(), GcRoot()));
  const absl::Time t2 = absl::Now();
  struct Case {
    std::string name;
    Kind kind;
    std::string parent;
  };
  for (const Case& tc : std::vector<Case>{{"c1", Kind::kCommitted, ""},
                                          {"c2", Kind::kCommitted, "c1"},
                                          {"a1", Kind::kActive, "c2"},
                                          {"a2", Kind::kActive, ""},
                                          {"v1", Kind::kView, "c2"},
                                          {"v2", Kind::kView, ""}}) {
    SCOPED_TRACE(tc.name);
    BERTH_ASSERT_OK_AND_ASSIGN(Info st, sn().Stat(ctx(), tc.name));
    EXPECT_GE(st.created_at, t1);
    EXPECT_LE(st.created_at, t2);
    EXPECT_EQ(st.created_at, st.updated_at);
    EXPECT_EQ(st.kind, tc.kind);
    EXPECT_EQ(st.parent, tc.parent);
    EXPECT_EQ(st.name, tc.name);

    const absl::Time created = st.created_at;
    Labels expected = {{"l1", "v1"}, {"l2", "v2"}, {"l3", "v3"}, {"containerd.io/gc.root", "now"}};
    st.parent = "doesnotexist";
    st.kind = Kind::kUnknown;
    st.labels = expected;
    const absl::Time u1 = absl::Now();
    BERTH_ASSERT_OK_AND_ASSIGN(st, sn().Update(ctx(), st, {}));
    const absl::Time u2 = absl::Now();
    EXPECT_EQ(st.created_at, created);
    EXPECT_GE(st.updated_at, u1);
    EXPECT_LE(st.updated_at, u2);
    EXPECT_EQ(st.kind, tc.kind) << "Update never changes the kind";
    EXPECT_EQ(st.parent, tc.parent) << "Update never changes the parent";
    EXPECT_EQ(st.name, tc.name);
    EXPECT_EQ(st.labels, expected);

    // labels.<key> paths: set l1, remove l2 (absent from the request), ignore l4 (not named).
    st.labels = {{"l1", "updated"}, {"l4", "v4"}};
    BERTH_ASSERT_OK_AND_ASSIGN(st, sn().Update(ctx(), st, {"labels.l1", "labels.l2"}));
    expected = {{"l1", "updated"}, {"l3", "v3"}, {"containerd.io/gc.root", "now"}};
    EXPECT_EQ(st.labels, expected);

    expected = {{"l4", "v4"}, {"containerd.io/gc.root", "now"}};
    st.labels = expected;
    BERTH_ASSERT_OK_AND_ASSIGN(st, sn().Update(ctx(), st, {"labels"}));
    EXPECT_EQ(st.labels, expected);
    BERTH_ASSERT_OK_AND_ASSIGN(Info again, sn().Stat(ctx(), tc.name));
    EXPECT_EQ(again.labels, expected) << "the update was stored";
    EXPECT_EQ(again.updated_at, st.updated_at);

    st.parent = "doesnotexist";
    for (const char* path : {"parent", "kind", "name", "created_at"}) {
      absl::Status s = sn().Update(ctx(), st, {path}).status();
      EXPECT_TRUE(absl::IsInvalidArgument(s)) << path << ": " << s;
    }
  }
}

TEST_P(SnapshotSuite, LabelsTooLargeAreRejected) {
  Options big{.labels = {{"k", std::string(5000, 'v')}}};
  EXPECT_TRUE(absl::IsInvalidArgument(sn().Prepare(ctx(), "a", "", big).status()));
  BERTH_ASSERT_OK(sn().Prepare(ctx(), "a", "", GcRoot()).status());
  EXPECT_TRUE(absl::IsInvalidArgument(sn().Update(ctx(), {.name = "a", .labels = big.labels}, {}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(sn().Commit(ctx(), "c", "a", big)));
}

// containerd's checkRemove: keys can be reused once removed, by any kind.
TEST_P(SnapshotSuite, RemoveAndReuseKeys) {
  BERTH_ASSERT_OK(sn().Prepare(ctx(), "committed-a", "", GcRoot()).status());
  BERTH_ASSERT_OK(sn().Commit(ctx(), "committed-1", "committed-a", GcRoot()));
  BERTH_ASSERT_OK(sn().Prepare(ctx(), "reuse-1", "committed-1", GcRoot()).status());
  BERTH_ASSERT_OK(sn().Remove(ctx(), "reuse-1"));
  BERTH_ASSERT_OK(sn().View(ctx(), "reuse-1", "committed-1", GcRoot()).status());
  BERTH_ASSERT_OK(sn().Remove(ctx(), "reuse-1"));
  BERTH_ASSERT_OK(sn().Prepare(ctx(), "reuse-1", "", GcRoot()).status());
  BERTH_ASSERT_OK(sn().Remove(ctx(), "committed-1"));
  BERTH_ASSERT_OK(sn().Commit(ctx(), "committed-1", "reuse-1", GcRoot()));
  BERTH_ASSERT_OK_AND_ASSIGN(Info info, sn().Stat(ctx(), "committed-1"));
  EXPECT_EQ(info.parent, "");
}

// containerd's checkRemoveIntermediateSnapshot: a parent cannot go while children (active or committed) exist.
TEST_P(SnapshotSuite, RemoveRefusedWhileChildrenExist) {
  BERTH_ASSERT_OK(CommitLayer("base", "base-a", "", {CreateFile("f", "base", 0644)}));
  BERTH_ASSERT_OK(CommitLayer("inter", "inter-a", "base", {}));
  BERTH_ASSERT_OK(sn().Prepare(ctx(), "top", "inter", GcRoot()).status());
  BERTH_ASSERT_OK(sn().View(ctx(), "view", "base", GcRoot()).status());
  for (const char* key : {"inter", "base"}) {
    absl::Status st = sn().Remove(ctx(), key);
    EXPECT_TRUE(absl::IsFailedPrecondition(st)) << key << ": " << st;
  }
  BERTH_ASSERT_OK(sn().Remove(ctx(), "top"));
  BERTH_ASSERT_OK(sn().Remove(ctx(), "inter"));
  EXPECT_TRUE(absl::IsFailedPrecondition(sn().Remove(ctx(), "base"))) << "the view still uses it";
  BERTH_ASSERT_OK(sn().Remove(ctx(), "view"));
  BERTH_ASSERT_OK(sn().Remove(ctx(), "base"));
  EXPECT_TRUE(absl::IsNotFound(sn().Stat(ctx(), "base").status()));
}

TEST_P(SnapshotSuite, WalkFilters) {
  BERTH_ASSERT_OK(BaseSnapshots(sn(), ctx(), GcRoot()));
  BERTH_ASSERT_OK(sn().Update(ctx(), {.name = "a1", .labels = {{"team", "x"}, {"a.b", "dotted"}}}, {}).status());
  absl::Status st;
  EXPECT_EQ(Names(WalkAll(sn(), ctx(), {}, &st)),
            (std::vector<std::string>{"a1", "a2", "c1", "c2", "v1", "v2"}));
  BERTH_EXPECT_OK(st);
  EXPECT_EQ(Names(WalkAll(sn(), ctx(), {"kind==committed"}, &st)), (std::vector<std::string>{"c1", "c2"}));
  EXPECT_EQ(Names(WalkAll(sn(), ctx(), {"kind==view"}, &st)), (std::vector<std::string>{"v1", "v2"}));
  EXPECT_EQ(Names(WalkAll(sn(), ctx(), {"kind==active"}, &st)), (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(Names(WalkAll(sn(), ctx(), {"parent==c2"}, &st)), (std::vector<std::string>{"a1", "v1"}));
  EXPECT_EQ(Names(WalkAll(sn(), ctx(), {"name==c1", "name==v2"}, &st)), (std::vector<std::string>{"c1", "v2"}));
  EXPECT_EQ(Names(WalkAll(sn(), ctx(), {"labels.team==x"}, &st)), (std::vector<std::string>{"a1"}));
  EXPECT_EQ(Names(WalkAll(sn(), ctx(), {R"(labels."a.b"==dotted)"}, &st)), (std::vector<std::string>{"a1"}));
  EXPECT_EQ(Names(WalkAll(sn(), ctx(), {"kind==active,parent==c2"}, &st)), (std::vector<std::string>{"a1"}));
  EXPECT_EQ(Names(WalkAll(sn(), ctx(), {"name~=^c"}, &st)), (std::vector<std::string>{"c1", "c2"}));
  BERTH_EXPECT_OK(st);
  WalkAll(sn(), ctx(), {"kind=="}, &st);
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;

  // An error from the callback stops the walk and is returned.
  int calls = 0;
  st = sn().Walk(ctx(), {}, [&](const Info&) {
    ++calls;
    return absl::CancelledError("stop");
  });
  EXPECT_TRUE(absl::IsCancelled(st));
  EXPECT_EQ(calls, 1);
}

// containerd's checkStatInWalk: the snapshotter can be called from inside a Walk callback.
TEST_P(SnapshotSuite, StatInWalk) {
  BERTH_ASSERT_OK(BaseSnapshots(sn(), ctx(), GcRoot()));
  int seen = 0;
  BERTH_ASSERT_OK(sn().Walk(ctx(), {}, [&](const Info& info) -> absl::Status {
    ASSIGN_OR_RETURN(Info st, sn().Stat(ctx(), info.name));
    EXPECT_EQ(st.name, info.name);
    EXPECT_EQ(st.kind, info.kind);
    EXPECT_EQ(st.parent, info.parent);
    EXPECT_EQ(st.labels, info.labels);
    EXPECT_EQ(st.created_at, info.created_at);
    ++seen;
    return absl::OkStatus();
  }));
  EXPECT_EQ(seen, 6);
}

// Everything survives a restart: records, kinds, parents, labels, times, usage, and the file contents.
TEST_P(SnapshotSuite, PersistsAcrossRestart) {
  BERTH_ASSERT_OK(CommitLayer("base", "base-a", "", {CreateFile("f", "one", 0644)}));
  BERTH_ASSERT_OK(CommitLayer("top", "top-a", "base", {CreateFile("g", "two", 0600)}));
  BERTH_ASSERT_OK(sn().Prepare(ctx(), "active", "top", {.labels = {{"k", "v"}}}).status());
  BERTH_ASSERT_OK(sn().View(ctx(), "view", "top", GcRoot()).status());
  absl::Status st;
  std::map<std::string, Info> before = WalkAll(sn(), ctx(), {}, &st);
  BERTH_ASSERT_OK(st);
  BERTH_ASSERT_OK_AND_ASSIGN(Usage usage, sn().GetUsage(ctx(), "top"));
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<mount::Mount> active_mounts, sn().Mounts(ctx(), "active"));

  Restart();
  ASSERT_FALSE(HasFatalFailure());
  std::map<std::string, Info> after = WalkAll(sn(), ctx(), {}, &st);
  BERTH_ASSERT_OK(st);
  ASSERT_EQ(Names(after), Names(before));
  for (const auto& [name, info] : before) {
    SCOPED_TRACE(name);
    const Info& a = after[name];
    EXPECT_EQ(a.kind, info.kind);
    EXPECT_EQ(a.parent, info.parent);
    EXPECT_EQ(a.labels, info.labels);
    EXPECT_EQ(a.created_at, info.created_at);
    EXPECT_EQ(a.updated_at, info.updated_at);
  }
  BERTH_ASSERT_OK_AND_ASSIGN(Usage usage_after, sn().GetUsage(ctx(), "top"));
  EXPECT_EQ(usage_after.size, usage.size);
  EXPECT_EQ(usage_after.inodes, usage.inodes);
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<mount::Mount> mounts, sn().Mounts(ctx(), "active"));
  EXPECT_EQ(mounts, active_mounts);
  Tree want = {{"f", {.mode = S_IFREG | 0644, .content = "one"}}, {"g", {.mode = S_IFREG | 0600, .content = "two"}}};
  ExpectMountedTree(mounts, want);
  BERTH_ASSERT_OK_AND_ASSIGN(mounts, sn().Mounts(ctx(), "view"));
  ExpectMountedTree(mounts, want);
  // The id sequence continues: new snapshots never collide with old ones.
  BERTH_ASSERT_OK(CommitLayer("after", "after-a", "top", {CreateFile("h", "three", 0644)}));
  BERTH_ASSERT_OK_AND_ASSIGN(mounts, sn().View(ctx(), "view-after", "after", GcRoot()));
  want["h"] = {.mode = S_IFREG | 0644, .content = "three"};
  ExpectMountedTree(mounts, want);
}

// Concurrent Prepare (and View) of one key: exactly one succeeds, the others are AlreadyExists.
TEST_P(SnapshotSuite, ConcurrentPrepareOfOneKey) {
  BERTH_ASSERT_OK(CommitLayer("base", "base-a", "", {CreateFile("f", "x", 0644)}));
  constexpr int kThreads = 8;
  for (int round = 0; round < 3; ++round) {
    std::string key = fmt::format("contended-{}", round);
    std::atomic<int> ok{0}, exists{0}, other{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        while (!go.load()) std::this_thread::yield();
        absl::Status st = i % 2 == 0 ? sn().Prepare(ctx(), key, "base", GcRoot()).status()
                                     : sn().View(ctx(), key, "base", GcRoot()).status();
        if (st.ok()) {
          ok++;
        } else if (absl::IsAlreadyExists(st)) {
          exists++;
        } else {
          other++;
          ADD_FAILURE() << st;
        }
      });
    }
    go = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(exists.load(), kThreads - 1);
    EXPECT_EQ(other.load(), 0);
  }
  // Different keys at once all succeed, and their commits too.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      std::string key = fmt::format("parallel-{}", i);
      absl::Status st = sn().Prepare(ctx(), key, "base", GcRoot()).status();
      if (st.ok()) st = sn().Commit(ctx(), key + "-c", key, GcRoot());
      if (!st.ok()) {
        failures++;
        ADD_FAILURE() << st;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

// Cleanup keeps every live snapshot intact.
TEST_P(SnapshotSuite, CleanupKeepsLiveSnapshots) {
  BERTH_ASSERT_OK(CommitLayer("base", "base-a", "", {CreateFile("f", "x", 0644)}));
  BERTH_ASSERT_OK(sn().Prepare(ctx(), "gone", "base", GcRoot()).status());
  BERTH_ASSERT_OK(sn().Remove(ctx(), "gone"));
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<mount::Mount> mounts, sn().Prepare(ctx(), "live", "base", GcRoot()));
  BERTH_ASSERT_OK(sn().Cleanup(ctx()));
  BERTH_ASSERT_OK(sn().Cleanup(ctx()));
  ExpectMountedTree(mounts, {{"f", {.mode = S_IFREG | 0644, .content = "x"}}});
}

}  // namespace berth::snapshots::testing
