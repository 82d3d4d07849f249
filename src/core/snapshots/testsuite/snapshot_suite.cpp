// The fixture, its helpers, and the tests of the basic life cycle: prepare, commit, stat, view, remove.
#include "core/snapshots/testsuite/snapshot_suite.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>

namespace berth::snapshots::testing {

void PrintTo(const SnapshotSuiteParam& param, std::ostream* os) { *os << param.name; }

std::string SnapshotSuiteName(const ::testing::TestParamInfo<SnapshotSuiteParam>& info) {
  return info.param.name;
}

const Options& SnapshotSuite::GcRoot() {
  static const Options* const kOpts = new Options{.labels = {{"containerd.io/gc.root", "suite"}}};
  return *kOpts;
}

void SnapshotSuite::SetUp() {
  ASSERT_EQ(::geteuid(), 0u) << "the snapshotter suite mounts file systems: run it as root";
  const char* tmp = getenv("TEST_TMPDIR");
  std::string pattern =
      (std::filesystem::path(tmp != nullptr ? tmp : "/tmp") / "berth-snapshot-suite-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "mkdtemp " << pattern;
  dir_ = pattern;
  root_ = dir_ / "root";
  std::filesystem::create_directories(root_);
  std::filesystem::create_directories(dir_ / "work");
  absl::StatusOr<SnapshotSuiteFixture> f = GetParam().open(root_.string());
  ASSERT_TRUE(f.ok()) << "open snapshotter: " << f.status();
  fixture_ = std::move(*f);
}

void SnapshotSuite::TearDown() {
  fixture_ = SnapshotSuiteFixture{};
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

void SnapshotSuite::Restart() {
  fixture_ = SnapshotSuiteFixture{};
  absl::StatusOr<SnapshotSuiteFixture> f = GetParam().open(root_.string());
  ASSERT_TRUE(f.ok()) << "reopen snapshotter: " << f.status();
  fixture_ = std::move(*f);
}

std::filesystem::path SnapshotSuite::WorkDir(const std::string& name) {
  std::filesystem::path p = dir_ / "work" / fmt::format("{}-{}", ++work_dirs_, name);
  std::filesystem::create_directories(p);
  return p;
}

absl::Status SnapshotSuite::CommitLayer(const std::string& name, const std::string& key,
                                        const std::string& parent, const TreeOps& ops) {
  ASSIGN_OR_RETURN(std::vector<mount::Mount> mounts, sn().Prepare(ctx(), key, parent, GcRoot()));
  {
    ASSIGN_OR_RETURN(ScopedMount m, ScopedMount::Mount(mounts, WorkDir(key)));
    RETURN_IF_ERROR(ApplyOps(ops, m.target()));
    RETURN_IF_ERROR(m.Unmount());
  }
  return sn().Commit(ctx(), name, key, GcRoot());
}

void SnapshotSuite::ExpectMountedTree(const std::vector<mount::Mount>& mounts, const Tree& want) {
  BERTH_ASSERT_OK_AND_ASSIGN(ScopedMount m, ScopedMount::Mount(mounts, WorkDir("check")));
  BERTH_ASSERT_OK_AND_ASSIGN(Tree got, ReadTree(m.target()));
  EXPECT_EQ(DiffTrees(want, got), "");
  BERTH_EXPECT_OK(m.Unmount());
}

void SnapshotSuite::CheckLayers(const std::vector<TreeOps>& layers) {
  const std::filesystem::path flat = WorkDir("flat");
  std::string parent;
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string name = fmt::format("layer-{}", i);
    BERTH_ASSERT_OK(CommitLayer(name, name + "-active", parent, layers[i]));
    BERTH_ASSERT_OK(ApplyOps(layers[i], flat));
    parent = name;
  }
  BERTH_ASSERT_OK_AND_ASSIGN(Tree want, ReadTree(flat));
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<mount::Mount> view, sn().View(ctx(), "check-view", parent, GcRoot()));
  ExpectMountedTree(view, want);
  // And through a writable child, which is how containers see the chain.
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<mount::Mount> active,
                             sn().Prepare(ctx(), "check-active", parent, GcRoot()));
  ExpectMountedTree(active, want);
}

namespace {

const TreeOps kInitial = {
    CreateFile("foo", "foo\n", 0777),
    CreateDir("a", 0755),
    CreateDir("a/b", 0755),
    CreateDir("a/b/c", 0755),
};
const TreeOps kDiff = {
    CreateFile("bar", "bar\n", 0777),
    CreateFile("foo", "bar\n", 0777),
    RemoveAll("a/b"),
};

}  // namespace

// containerd's checkSnapshotterBasic.
TEST_P(SnapshotSuite, Basic) {
  const std::filesystem::path flat = WorkDir("flat");
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<mount::Mount> mounts, sn().Prepare(ctx(), "preparing", "", GcRoot()));
  ASSERT_FALSE(mounts.empty());
  {
    BERTH_ASSERT_OK_AND_ASSIGN(ScopedMount m, ScopedMount::Mount(mounts, WorkDir("preparing")));
    BERTH_ASSERT_OK(ApplyOps(kInitial, m.target()));
  }
  BERTH_ASSERT_OK(sn().Commit(ctx(), "committed", "preparing", GcRoot()));
  BERTH_ASSERT_OK_AND_ASSIGN(Info si, sn().Stat(ctx(), "committed"));
  EXPECT_EQ(si.parent, "");
  EXPECT_EQ(si.kind, Kind::kCommitted);
  EXPECT_EQ(si.name, "committed");
  EXPECT_TRUE(absl::IsNotFound(sn().Stat(ctx(), "preparing").status())) << "an active snapshot is consumed by Commit";

  BERTH_ASSERT_OK_AND_ASSIGN(mounts, sn().Prepare(ctx(), "next", "committed", GcRoot()));
  BERTH_ASSERT_OK(ApplyOps(kInitial, flat));
  BERTH_ASSERT_OK_AND_ASSIGN(Tree initial, ReadTree(flat));
  {
    BERTH_ASSERT_OK_AND_ASSIGN(ScopedMount m, ScopedMount::Mount(mounts, WorkDir("next")));
    BERTH_ASSERT_OK_AND_ASSIGN(Tree got, ReadTree(m.target()));
    EXPECT_EQ(DiffTrees(initial, got), "");
    BERTH_ASSERT_OK(ApplyOps(kDiff, m.target()));
  }
  BERTH_ASSERT_OK_AND_ASSIGN(Info ni, sn().Stat(ctx(), "next"));
  EXPECT_EQ(ni.parent, "committed");
  EXPECT_EQ(ni.kind, Kind::kActive);
  BERTH_ASSERT_OK(sn().Commit(ctx(), "committed-next", "next", GcRoot()));
  BERTH_ASSERT_OK_AND_ASSIGN(Info si2, sn().Stat(ctx(), "committed-next"));
  EXPECT_EQ(si2.parent, "committed");
  EXPECT_EQ(si2.kind, Kind::kCommitted);
  EXPECT_TRUE(absl::IsNotFound(sn().Stat(ctx(), "next").status()));

  std::map<std::string, Info> walked;
  BERTH_ASSERT_OK(sn().Walk(ctx(), {}, [&](const Info& info) {
    walked[info.name] = info;
    return absl::OkStatus();
  }));
  ASSERT_EQ(walked.size(), 2u);
  EXPECT_EQ(walked["committed"].created_at, si.created_at);
  EXPECT_EQ(walked["committed"].labels, si.labels);
  EXPECT_EQ(walked["committed-next"].parent, "committed");
  EXPECT_EQ(walked["committed-next"].updated_at, si2.updated_at);

  BERTH_ASSERT_OK(ApplyOps(kDiff, flat));
  BERTH_ASSERT_OK_AND_ASSIGN(Tree both, ReadTree(flat));
  BERTH_ASSERT_OK_AND_ASSIGN(mounts, sn().View(ctx(), "nextnext", "committed-next", GcRoot()));
  ExpectMountedTree(mounts, both);

  BERTH_ASSERT_OK(sn().Remove(ctx(), "nextnext"));
  absl::Status st = sn().Remove(ctx(), "committed");
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << "removing a parent must be refused: " << st;
  BERTH_ASSERT_OK(sn().Remove(ctx(), "committed-next"));
  BERTH_ASSERT_OK(sn().Remove(ctx(), "committed"));
  std::vector<std::string> left;
  BERTH_ASSERT_OK(sn().Walk(ctx(), {}, [&](const Info& info) {
    left.push_back(info.name);
    return absl::OkStatus();
  }));
  EXPECT_TRUE(left.empty());
}

TEST_P(SnapshotSuite, StatActiveAndCommitted) {
  absl::Time before = absl::Now();
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<mount::Mount> mounts, sn().Prepare(ctx(), "preparing", "", GcRoot()));
  {
    BERTH_ASSERT_OK_AND_ASSIGN(ScopedMount m, ScopedMount::Mount(mounts, WorkDir("preparing")));
    std::ofstream(m.target() / "foo") << "foo\n";
  }
  BERTH_ASSERT_OK_AND_ASSIGN(Info si, sn().Stat(ctx(), "preparing"));
  EXPECT_EQ(si.name, "preparing");
  EXPECT_EQ(si.kind, Kind::kActive);
  EXPECT_EQ(si.parent, "");
  EXPECT_EQ(si.labels, GcRoot().labels);
  EXPECT_GE(si.created_at, before - absl::Seconds(1));
  EXPECT_EQ(si.created_at, si.updated_at);

  BERTH_ASSERT_OK(sn().Commit(ctx(), "committed", "preparing", {.labels = {{"l", "v"}}}));
  BERTH_ASSERT_OK_AND_ASSIGN(si, sn().Stat(ctx(), "committed"));
  EXPECT_EQ(si.name, "committed");
  EXPECT_EQ(si.kind, Kind::kCommitted);
  EXPECT_EQ(si.parent, "");
  EXPECT_EQ(si.labels, (Labels{{"l", "v"}})) << "a committed snapshot has the labels given to Commit";
}

// containerd's checkSnapshotterTransitivity: A <- B, B's parent is A, A has none.
TEST_P(SnapshotSuite, Transitivity) {
  BERTH_ASSERT_OK(CommitLayer("snapA", "preparing", "", {CreateFile("foo", "foo\n", 0777)}));
  BERTH_ASSERT_OK(CommitLayer("snapB", "next", "snapA", {CreateFile("foo", "foo bar\n", 0777)}));
  BERTH_ASSERT_OK_AND_ASSIGN(Info a, sn().Stat(ctx(), "snapA"));
  BERTH_ASSERT_OK_AND_ASSIGN(Info b, sn().Stat(ctx(), "snapB"));
  BERTH_ASSERT_OK_AND_ASSIGN(Info parent_of_b, sn().Stat(ctx(), b.parent));
  EXPECT_EQ(a.parent, "");
  EXPECT_EQ(b.parent, "snapA");
  EXPECT_EQ(parent_of_b.parent, "");
}

// Keys and names share one namespace: a second Prepare/View/Commit of an existing key is AlreadyExists.
TEST_P(SnapshotSuite, SameKeyIsAlreadyExists) {
  BERTH_ASSERT_OK(CommitLayer("snapA", "preparing", "", {}));
  BERTH_ASSERT_OK(sn().Prepare(ctx(), "new", "snapA", GcRoot()).status());
  EXPECT_TRUE(absl::IsAlreadyExists(sn().View(ctx(), "new", "snapA", GcRoot()).status()));
  EXPECT_TRUE(absl::IsAlreadyExists(sn().Prepare(ctx(), "new", "snapA", GcRoot()).status()));
  EXPECT_TRUE(absl::IsAlreadyExists(sn().Prepare(ctx(), "new", "", GcRoot()).status()));
  BERTH_ASSERT_OK(sn().View(ctx(), "view", "snapA", GcRoot()).status());
  EXPECT_TRUE(absl::IsAlreadyExists(sn().View(ctx(), "view", "snapA", GcRoot()).status()));
  EXPECT_TRUE(absl::IsAlreadyExists(sn().Prepare(ctx(), "snapA", "", GcRoot()).status()));
  EXPECT_TRUE(absl::IsAlreadyExists(sn().Commit(ctx(), "snapA", "new", GcRoot())));
  EXPECT_TRUE(absl::IsAlreadyExists(sn().Commit(ctx(), "view", "new", GcRoot())));
  // The failed commits left "new" active.
  BERTH_ASSERT_OK_AND_ASSIGN(Info info, sn().Stat(ctx(), "new"));
  EXPECT_EQ(info.kind, Kind::kActive);
}

TEST_P(SnapshotSuite, ErrorCodes) {
  EXPECT_TRUE(absl::IsNotFound(sn().Commit(ctx(), "name", "missing", GcRoot())));
  EXPECT_TRUE(absl::IsNotFound(sn().Stat(ctx(), "missing").status()));
  EXPECT_TRUE(absl::IsNotFound(sn().Mounts(ctx(), "missing").status()));
  EXPECT_TRUE(absl::IsNotFound(sn().GetUsage(ctx(), "missing").status()));
  EXPECT_TRUE(absl::IsNotFound(sn().Remove(ctx(), "missing")));
  EXPECT_TRUE(absl::IsNotFound(sn().Update(ctx(), {.name = "missing"}, {}).status()));
  EXPECT_TRUE(absl::IsNotFound(sn().Prepare(ctx(), "child", "missing", GcRoot()).status()));
  EXPECT_TRUE(absl::IsNotFound(sn().View(ctx(), "child", "missing", GcRoot()).status()));

  BERTH_ASSERT_OK(sn().Prepare(ctx(), "active", "", GcRoot()).status());
  BERTH_ASSERT_OK(sn().View(ctx(), "view", "", GcRoot()).status());
  for (const char* parent : {"active", "view"}) {
    absl::Status st = sn().Prepare(ctx(), "child", parent, GcRoot()).status();
    EXPECT_TRUE(absl::IsInvalidArgument(st)) << "a parent must be committed: " << st;
  }
  absl::Status st = sn().Commit(ctx(), "name", "view", GcRoot());
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << "a view cannot be committed: " << st;
  EXPECT_TRUE(absl::IsNotFound(sn().Stat(ctx(), "child").status())) << "failed prepares leave nothing";
  EXPECT_TRUE(absl::IsNotFound(sn().Stat(ctx(), "name").status()));
}

// containerd's checkSnapshotterViewReadonly: a View is mounted read-only, for real.
TEST_P(SnapshotSuite, ViewIsReadOnly) {
  BERTH_ASSERT_OK(CommitLayer("base", "base-active", "", {CreateFile("f", "x", 0644)}));
  BERTH_ASSERT_OK(CommitLayer("top", "top-active", "base", {CreateFile("g", "y", 0644)}));
  BERTH_ASSERT_OK(sn().View(ctx(), "no-parent", "", GcRoot()).status());
  for (const char* key : {"view-1", "view-2", "no-parent"}) {
    std::string parent = key == std::string("view-1") ? "base" : key == std::string("view-2") ? "top" : "";
    std::vector<mount::Mount> mounts;
    if (parent.empty()) {
      BERTH_ASSERT_OK_AND_ASSIGN(mounts, sn().Mounts(ctx(), key));
    } else {
      BERTH_ASSERT_OK_AND_ASSIGN(mounts, sn().View(ctx(), key, parent, GcRoot()));
    }
    BERTH_ASSERT_OK_AND_ASSIGN(ScopedMount m, ScopedMount::Mount(mounts, WorkDir(key)));
    std::ofstream out(m.target() / "testfile");
    EXPECT_FALSE(out.is_open()) << "write into view " << key << " succeeded";
    EXPECT_EQ(::mkdir((m.target() / "dir").c_str(), 0755), -1) << key;
    EXPECT_EQ(errno, EROFS) << key;
  }
  BERTH_ASSERT_OK_AND_ASSIGN(Info info, sn().Stat(ctx(), "view-2"));
  EXPECT_EQ(info.kind, Kind::kView);
  EXPECT_EQ(info.parent, "top");
  BERTH_EXPECT_OK(sn().Remove(ctx(), "view-1"));
  BERTH_EXPECT_OK(sn().Remove(ctx(), "view-2"));
  BERTH_EXPECT_OK(sn().Remove(ctx(), "top"));
  BERTH_EXPECT_OK(sn().Remove(ctx(), "base"));
}

// Mounts of a key give the same mounts Prepare gave.
TEST_P(SnapshotSuite, MountsMatchPrepare) {
  BERTH_ASSERT_OK(CommitLayer("base", "base-active", "", {}));
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<mount::Mount> prepared, sn().Prepare(ctx(), "a", "base", GcRoot()));
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<mount::Mount> again, sn().Mounts(ctx(), "a"));
  EXPECT_EQ(prepared, again);
  BERTH_ASSERT_OK_AND_ASSIGN(prepared, sn().View(ctx(), "v", "base", GcRoot()));
  BERTH_ASSERT_OK_AND_ASSIGN(again, sn().Mounts(ctx(), "v"));
  EXPECT_EQ(prepared, again);
}

// containerd's checkRootPermission: a fresh snapshot's root is 0755.
TEST_P(SnapshotSuite, RootPermission) {
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<mount::Mount> mounts, sn().Prepare(ctx(), "preparing", "", GcRoot()));
  BERTH_ASSERT_OK_AND_ASSIGN(ScopedMount m, ScopedMount::Mount(mounts, WorkDir("preparing")));
  struct stat st;
  ASSERT_EQ(::stat(m.target().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

}  // namespace berth::snapshots::testing
