// metadata::SnapshotStore over a real OverlaySnapshotter (directories only: nothing here mounts).
#include "metadata/snapshot_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "base/status.h"
#include "metadata/lease_manager.h"
#include "metadata/namespace_store.h"
#include "metadata/snapshot_txn.h"
#include "metadata/test_util.h"
#include "plugins/snapshots/overlay/overlay_snapshotter.h"

namespace berth::metadata {
namespace {

using snapshots::Kind;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kSnapshotter[] = "overlayfs";

class SnapshotStoreTest : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    OpenStore();
  }
  void OpenStore() {
    std::filesystem::create_directories(dir_.path() /
                                        "snapshots");  // the daemon makes <root>/snapshots
    auto overlay = snapshots::OverlaySnapshotter::Open(dir_.path() / "snapshots" / kSnapshotter,
                                                       {.check_support = false});
    ASSERT_TRUE(overlay.ok()) << overlay.status();
    backend_ = std::shared_ptr<snapshots::Snapshotter>(std::move(*overlay));
    auto store = SnapshotStore::Open(db_.get(), kSnapshotter, backend_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  void Restart() {
    store_.reset();
    backend_.reset();
    Reopen();
    OpenStore();
  }

  // Names of the snapshots `ns` sees.
  std::vector<std::string> Names(const std::string& ns) {
    std::vector<std::string> names;
    absl::Status s = store_->Walk(Ns(ns), {}, [&](const snapshots::Info& info) {
      names.push_back(info.name);
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return names;
  }
  // Every backend snapshot, whatever its namespace.
  std::vector<snapshots::Info> BackendInfos() {
    std::vector<snapshots::Info> infos;
    absl::Status s = backend_->Walk(Context{}, {}, [&](const snapshots::Info& info) {
      infos.push_back(info);
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return infos;
  }
  absl::Status Commit(const std::string& ns, const std::string& name, const std::string& key,
                      const std::string& parent = "") {
    RETURN_IF_ERROR(store_->Prepare(Ns(ns), key, parent, {}).status());
    return store_->Commit(Ns(ns), name, key, {});
  }
  std::vector<leases::Resource> Resources(const std::string& ns, const std::string& lease) {
    auto r = LeaseManager(db_.get()).ListResources(Ns(ns), lease);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<leases::Resource>{};
  }

  std::shared_ptr<snapshots::Snapshotter> backend_;
  std::unique_ptr<SnapshotStore> store_;
};

TEST_F(SnapshotStoreTest, NamespaceIsRequired) {
  EXPECT_EQ(store_->Prepare(Context{}, "k", "", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Stat(Context{}, "k").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SnapshotStoreTest, SameKeyInTwoNamespacesNeverCollides) {
  const std::string key = "extract-1 sha256:abc";  // ctr's keys hold spaces
  ASSERT_TRUE(store_->Prepare(Ns("a"), key, "", {.labels = {{"who", "a"}}}).ok());
  ASSERT_TRUE(store_->Prepare(Ns("b"), key, "", {.labels = {{"who", "b"}}}).ok());
  EXPECT_EQ(store_->Prepare(Ns("a"), key, "", {}).status().code(),
            absl::StatusCode::kAlreadyExists);

  auto a = store_->Stat(Ns("a"), key);
  auto b = store_->Stat(Ns("b"), key);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->kind, Kind::kActive);
  EXPECT_EQ(a->name, key);
  EXPECT_EQ(a->labels.at("who"), "a");
  EXPECT_EQ(b->labels.at("who"), "b");
  EXPECT_EQ(store_->Stat(Ns("c"), key).status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Names("a"), ElementsAre(key));
  EXPECT_THAT(Names("c"), IsEmpty());

  std::vector<std::string> backend_keys;
  for (const auto& info : BackendInfos()) backend_keys.push_back(info.name);
  EXPECT_THAT(backend_keys, UnorderedElementsAre("a/1/" + key, "b/2/" + key));

  ASSERT_TRUE(store_->Remove(Ns("a"), key).ok());
  EXPECT_EQ(store_->Stat(Ns("a"), key).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_->Stat(Ns("b"), key).ok());
  EXPECT_EQ(BackendInfos().size(), 1u);
}

TEST_F(SnapshotStoreTest, ParentsAreTranslatedBothWays) {
  ASSERT_TRUE(Commit("n", "base", "k0").ok());
  ASSERT_TRUE(Commit("n", "mid", "k1", "base").ok());
  ASSERT_TRUE(store_->View(Ns("n"), "view", "mid", {}).ok());
  // The other namespace cannot name n's snapshots as parents.
  EXPECT_EQ(store_->Prepare(Ns("other"), "k", "mid", {}).status().code(),
            absl::StatusCode::kNotFound);

  auto mid = store_->Stat(Ns("n"), "mid");
  ASSERT_TRUE(mid.ok());
  EXPECT_EQ(mid->kind, Kind::kCommitted);
  EXPECT_EQ(mid->parent, "base");
  auto view = store_->Stat(Ns("n"), "view");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->kind, Kind::kView);
  EXPECT_EQ(view->parent, "mid");
  EXPECT_EQ(store_->Stat(Ns("n"), "k1").status().code(),
            absl::StatusCode::kNotFound);  // consumed by Commit

  // The backend sees only its own keys, parents included.
  for (const auto& info : BackendInfos()) {
    EXPECT_THAT(info.name, ::testing::StartsWith("n/"));
    if (!info.parent.empty()) {
      EXPECT_THAT(info.parent, ::testing::StartsWith("n/"));
    }
  }

  std::vector<std::string> committed;
  ASSERT_TRUE(store_
                  ->Walk(Ns("n"), {"kind==committed,parent==base"},
                         [&](const snapshots::Info& info) {
                           committed.push_back(info.name);
                           return absl::OkStatus();
                         })
                  .ok());
  EXPECT_THAT(committed, ElementsAre("mid"));
}

TEST_F(SnapshotStoreTest, RemoveIsRefusedWhileChildrenExist) {
  ASSERT_TRUE(Commit("n", "base", "k0").ok());
  ASSERT_TRUE(store_->Prepare(Ns("n"), "child", "base", {}).ok());
  absl::Status s = store_->Remove(Ns("n"), "base");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("base"));
  ASSERT_TRUE(store_->Remove(Ns("n"), "child").ok());
  ASSERT_TRUE(store_->Remove(Ns("n"), "base").ok());
  EXPECT_THAT(BackendInfos(), IsEmpty());
  EXPECT_EQ(store_->Remove(Ns("n"), "base").code(), absl::StatusCode::kNotFound);
}

TEST_F(SnapshotStoreTest, LabelsAreValidatedAndUpdated) {
  Labels too_big{{"k", std::string(5000, 'x')}};
  EXPECT_EQ(store_->Prepare(Ns("n"), "k", "", {.labels = too_big}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(BackendInfos(), IsEmpty());

  ASSERT_TRUE(store_->Prepare(Ns("n"), "k", "", {.labels = {{"a", "1"}, {"b", "2"}}}).ok());
  auto updated = store_->Update(Ns("n"), {.name = "k", .labels = {{"a", ""}, {"c", "3"}}},
                                {"labels.a", "labels.c"});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->labels, (Labels{{"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(updated->kind, Kind::kActive);
  EXPECT_EQ(store_->Update(Ns("n"), {.name = "k"}, {"parent"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Update(Ns("other"), {.name = "k"}, {}).status().code(),
            absl::StatusCode::kNotFound);
  auto replaced = store_->Update(Ns("n"), {.name = "k", .labels = {{"z", "9"}}}, {});
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->labels, (Labels{{"z", "9"}}));
  EXPECT_EQ(store_->Stat(Ns("n"), "k")->labels, (Labels{{"z", "9"}}));
}

TEST_F(SnapshotStoreTest, LeaseHoldsWhatWasCreatedUnderIt) {
  LeaseManager leases(db_.get());
  ASSERT_TRUE(leases.Create(Ns("n"), {.id = "l"}).ok());
  const std::string type = "snapshots/overlayfs";

  EXPECT_EQ(store_->Prepare(Ns("n", "missing"), "k", "", {}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(BackendInfos(), IsEmpty());

  ASSERT_TRUE(store_->Prepare(Ns("n", "l"), "k", "", {}).ok());
  EXPECT_THAT(Resources("n", "l"), ElementsAre(leases::Resource{.id = "k", .type = type}));
  ASSERT_TRUE(store_->Commit(Ns("n", "l"), "layer", "k", {}).ok());
  EXPECT_THAT(Resources("n", "l"), ElementsAre(leases::Resource{.id = "layer", .type = type}));
  ASSERT_TRUE(store_->View(Ns("n", "l"), "v", "layer", {}).ok());
  EXPECT_THAT(Resources("n", "l"),
              UnorderedElementsAre(leases::Resource{.id = "layer", .type = type},
                                   leases::Resource{.id = "v", .type = type}));
  ASSERT_TRUE(store_->Remove(Ns("n", "l"), "v").ok());
  EXPECT_THAT(Resources("n", "l"), ElementsAre(leases::Resource{.id = "layer", .type = type}));
}

TEST_F(SnapshotStoreTest, NamespaceDeleteIsRefusedWhileSnapshotsExist) {
  NamespaceStore namespaces(db_.get());
  ASSERT_TRUE(store_->Prepare(Ns("n"), "k", "", {}).ok());  // creates the namespace implicitly
  ASSERT_TRUE(namespaces.Get("n").ok());
  absl::Status s = namespaces.Delete("n");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("snapshots on \"overlayfs\" snapshotter"));
  ASSERT_TRUE(store_->Remove(Ns("n"), "k").ok());
  EXPECT_TRUE(namespaces.Delete("n").ok());
}

TEST_F(SnapshotStoreTest, SnapshotsPersistAcrossRestart) {
  ASSERT_TRUE(store_->Prepare(Ns("n"), "k0", "", {}).ok());
  ASSERT_TRUE(
      store_->Commit(Ns("n"), "base", "k0", {.labels = {{"containerd.io/gc.root", "x"}}}).ok());
  ASSERT_TRUE(store_->Prepare(Ns("n"), "active", "base", {}).ok());
  auto before = store_->Stat(Ns("n"), "base");
  Restart();
  auto after = store_->Stat(Ns("n"), "base");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->labels, before->labels);
  EXPECT_EQ(after->created_at, before->created_at);
  EXPECT_EQ(store_->Stat(Ns("n"), "active")->parent, "base");
  // The sequence survives too: a new key gets a fresh backend key.
  ASSERT_TRUE(store_->Prepare(Ns("n"), "k0", "", {}).ok());
  EXPECT_EQ(BackendInfos().size(), 3u);
  EXPECT_TRUE(store_->Mounts(Ns("n"), "active").ok());
}

TEST_F(SnapshotStoreTest, ConcurrentPreparesOfOneKeyLeaveOneSnapshot) {
  constexpr int kThreads = 8;
  std::atomic<int> ok{0};
  std::atomic<int> exists{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      absl::Status s = store_->Prepare(Ns("n"), "same", "", {}).status();
      if (s.ok()) ++ok;
      if (absl::IsAlreadyExists(s)) ++exists;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(exists, kThreads - 1);
  EXPECT_EQ(BackendInfos().size(), 1u);
}

TEST_F(SnapshotStoreTest, CleanupRemovesOnlyUnreferencedBackendSnapshots) {
  ASSERT_TRUE(Commit("n", "base", "k0").ok());
  ASSERT_TRUE(store_->Prepare(Ns("n"), "kept", "base", {}).ok());
  // What a crash between the backend's work and the record leaves: backend snapshots nobody
  // references.
  ASSERT_TRUE(backend_->Prepare(Context{}, "orphan-parent", "", {}).ok());
  ASSERT_TRUE(backend_->Commit(Context{}, "orphan-base", "orphan-parent", {}).ok());
  ASSERT_TRUE(backend_->Prepare(Context{}, "orphan-child", "orphan-base", {}).ok());
  ASSERT_EQ(BackendInfos().size(), 4u);
  ASSERT_TRUE(store_->Cleanup(Ns("n")).ok());
  std::vector<std::string> left;
  for (const auto& info : BackendInfos()) left.push_back(info.name);
  EXPECT_THAT(left, UnorderedElementsAre(::testing::StartsWith("n/"), ::testing::StartsWith("n/")));
  EXPECT_TRUE(store_->Mounts(Ns("n"), "kept").ok());
}

// A crash inside Commit leaves a reservation; Open finishes it if the backend committed and drops
// it otherwise.
TEST_F(SnapshotStoreTest, OpenResolvesInterruptedCommits) {
  ASSERT_TRUE(store_->Prepare(Ns("n"), "done", "", {}).ok());
  ASSERT_TRUE(store_->Prepare(Ns("n"), "undone", "", {}).ok());
  auto reserve = [&](const std::string& name, const std::string& key,
                     const std::string& backend_name) {
    return db_->Update([&](WriteTxn& txn) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<SnapshotRecord> active,
                       LoadSnapshot(txn, "n", kSnapshotter, key));
      SnapshotRecord reserved{
          .key = name,
          .backend_key = backend_name,
          .committing = PendingCommit{.key = key, .backend_key = active->backend_key}};
      return txn.Put(Table::kSnapshots, SnapshotKey("n", kSnapshotter, name),
                     EncodeSnapshot(reserved));
    });
  };
  ASSERT_TRUE(reserve("done-layer", "done", "n/100/done-layer").ok());
  ASSERT_TRUE(reserve("undone-layer", "undone", "n/101/undone-layer").ok());
  ASSERT_TRUE(backend_->Commit(Context{}, "n/100/done-layer", "n/1/done", {}).ok());
  // Reservations are invisible.
  EXPECT_EQ(store_->Stat(Ns("n"), "done-layer").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Names("n"),
              ElementsAre("undone"));  // "done" is gone from the backend

  Restart();
  auto done = store_->Stat(Ns("n"), "done-layer");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->kind, Kind::kCommitted);
  EXPECT_EQ(store_->Stat(Ns("n"), "done").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Stat(Ns("n"), "undone-layer").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Stat(Ns("n"), "undone")->kind, Kind::kActive);
  EXPECT_THAT(Names("n"), ElementsAre("done-layer", "undone"));
  // The dropped name is free again.
  EXPECT_TRUE(store_->Commit(Ns("n"), "undone-layer", "undone", {}).ok());
}

}  // namespace
}  // namespace berth::metadata
