// metadata::GarbageCollector over a real Db, a real LocalStore and real overlayfs/native
// snapshotter backends (directories only: nothing here mounts).
#include "metadata/gc_collector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/time/clock.h"
#include "core/content/testsuite/suite_util.h"
#include "metadata/image_store.h"
#include "metadata/lease_manager.h"
#include "metadata/test_util.h"
#include "plugins/content/local/local_store.h"
#include "plugins/snapshots/native/native_snapshotter.h"
#include "plugins/snapshots/overlay/overlay_snapshotter.h"

namespace berth::metadata {
namespace {

using content::testing::WriteBlob;
using gc::ResourceType;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kOverlay[] = "overlayfs";

gc::ScheduleOptions Manual() {
  return {.delay = absl::InfiniteDuration(),
          .min_interval = absl::ZeroDuration(),
          .period = absl::InfiniteDuration(),
          .startup_delay = absl::InfiniteDuration()};
}

class GcTest : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    Open();
  }
  void TearDown() override { Close(); }

  void Open(gc::ScheduleOptions schedule = Manual()) {
    auto local = content::LocalStore::Open((dir_.path() / "content").string());
    ASSERT_TRUE(local.ok()) << local.status();
    blobs_ = std::shared_ptr<content::Store>(std::move(*local));
    content_ = std::make_unique<ContentStore>(db_.get(), blobs_);
    images_ = std::make_unique<ImageStore>(db_.get());
    leases_ = std::make_unique<LeaseManager>(db_.get());
    std::filesystem::create_directories(dir_.path() / "snapshots");  // the daemon makes the parent
    auto overlay = snapshots::OverlaySnapshotter::Open(dir_.path() / "snapshots" / kOverlay,
                                                       {.check_support = false});
    ASSERT_TRUE(overlay.ok()) << overlay.status();
    overlay_backend_ = std::shared_ptr<snapshots::Snapshotter>(std::move(*overlay));
    auto overlay_store = SnapshotStore::Open(db_.get(), kOverlay, overlay_backend_);
    ASSERT_TRUE(overlay_store.ok()) << overlay_store.status();
    overlay_ = *std::move(overlay_store);
    auto native = snapshots::NativeSnapshotter::Open(dir_.path() / "snapshots" / "native");
    ASSERT_TRUE(native.ok()) << native.status();
    native_backend_ = std::shared_ptr<snapshots::Snapshotter>(std::move(*native));
    auto native_store = SnapshotStore::Open(db_.get(), "native", native_backend_);
    ASSERT_TRUE(native_store.ok()) << native_store.status();
    native_ = *std::move(native_store);
    gc_ = std::make_unique<GarbageCollector>(
        db_.get(), content_.get(), std::vector<SnapshotStore*>{overlay_.get(), native_.get()},
        GarbageCollectorOptions{.schedule = schedule});
    content_->set_on_delete(gc_->Notifier());
    images_->set_on_delete(gc_->Notifier());
    leases_->set_on_delete(gc_->Notifier());
    overlay_->set_on_delete(gc_->Notifier());
    native_->set_on_delete(gc_->Notifier());
  }
  void Close() {
    gc_.reset();
    native_.reset();
    overlay_.reset();
    native_backend_.reset();
    overlay_backend_.reset();
    leases_.reset();
    images_.reset();
    content_.reset();
    blobs_.reset();
  }
  // A daemon restart: every object rebuilt over the same root.
  void Restart() {
    Close();
    Reopen();
    Open();
  }

  gc::Stats Collect() {
    absl::StatusOr<gc::Stats> stats = gc_->Run();
    EXPECT_TRUE(stats.ok()) << stats.status();
    return stats.ok() ? *stats : gc::Stats{};
  }

  Digest Blob(const std::string& ns, const std::string& data, const Labels& labels = {},
              const std::string& lease = "") {
    absl::StatusOr<Digest> d = WriteBlob(*content_, Ns(ns, lease), "ref-" + data, data, labels);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : Digest{};
  }
  // Prepare + Commit of `name` on overlayfs, with a file in it so the disk shows it.
  void Layer(const std::string& ns, const std::string& name, const std::string& parent,
             const Labels& labels = {}, const std::string& lease = "") {
    ASSERT_TRUE(overlay_->Prepare(Ns(ns, lease), "extract-" + name, parent, {}).ok());
    ASSERT_TRUE(overlay_->Commit(Ns(ns, lease), name, "extract-" + name, {.labels = labels}).ok());
  }
  void Image(const std::string& ns, const std::string& name, const Digest& target) {
    images::Image image{
        .name = name,
        .target = {
            .media_type = "application/vnd.oci.image.index.v1+json", .digest = target, .size = 1}};
    absl::StatusOr<images::Image> created = images_->Create(Ns(ns), image);
    ASSERT_TRUE(created.ok()) << created.status();
  }

  bool HasRecord(const std::string& ns, const Digest& d) {
    return content_->GetInfo(Ns(ns), d).ok();
  }
  bool OnDisk(const Digest& d) { return blobs_->GetInfo(Context{}, d).ok(); }
  bool HasSnapshot(const std::string& ns, const std::string& key) {
    return overlay_->Stat(Ns(ns), key).ok();
  }
  size_t DiskBlobs() {
    size_t n = 0;
    EXPECT_TRUE(blobs_
                    ->Walk(Context{}, {},
                           [&](const content::Info&) {
                             ++n;
                             return absl::OkStatus();
                           })
                    .ok());
    return n;
  }
  size_t DiskSnapshots() {
    size_t n = 0;
    for (auto* backend : {overlay_backend_.get(), native_backend_.get()}) {
      EXPECT_TRUE(backend
                      ->Walk(Context{}, {},
                             [&](const snapshots::Info&) {
                               ++n;
                               return absl::OkStatus();
                             })
                      .ok());
    }
    return n;
  }
  std::vector<std::string> Snapshots(const std::string& ns) {
    std::vector<std::string> names;
    EXPECT_TRUE(overlay_
                    ->Walk(Ns(ns), {},
                           [&](const snapshots::Info& info) {
                             names.push_back(info.name);
                             return absl::OkStatus();
                           })
                    .ok());
    return names;
  }
  std::vector<Digest> Records(const std::string& ns) {
    std::vector<Digest> out;
    EXPECT_TRUE(content_
                    ->Walk(Ns(ns), {},
                           [&](const content::Info& info) {
                             out.push_back(info.digest);
                             return absl::OkStatus();
                           })
                    .ok());
    return out;
  }
  // Every record names something on disk: the invariant a crash must never break.
  void ExpectNoDanglingRecords(const std::string& ns) {
    for (const Digest& d : Records(ns)) EXPECT_TRUE(OnDisk(d)) << d.str();
    EXPECT_TRUE(overlay_
                    ->Walk(Ns(ns), {},
                           [&](const snapshots::Info& info) {
                             EXPECT_TRUE(overlay_->GetUsage(Ns(ns), info.name).ok()) << info.name;
                             return absl::OkStatus();
                           })
                    .ok());
  }

  // The chain a pull leaves: index → manifest → config + two layers; config → top snapshot → base
  // snapshot.
  struct Chain {
    Digest index, manifest, config, layer0, layer1;
  };
  Chain PullChain(const std::string& ns, const std::string& tag) {
    Chain c;
    Layer(ns, tag + "-base", "");
    Layer(ns, tag + "-top", tag + "-base");
    c.layer0 = Blob(ns, tag + " layer 0");
    c.layer1 = Blob(ns, tag + " layer 1");
    c.config =
        Blob(ns, tag + " config", {{"containerd.io/gc.ref.snapshot.overlayfs", tag + "-top"}});
    c.manifest = Blob(ns, tag + " manifest",
                      {{"containerd.io/gc.ref.content.config", c.config.str()},
                       {"containerd.io/gc.ref.content.l.0", c.layer0.str()},
                       {"containerd.io/gc.ref.content.l.1", c.layer1.str()}});
    c.index = Blob(ns, tag + " index", {{"containerd.io/gc.ref.content.m.0", c.manifest.str()}});
    return c;
  }

  std::shared_ptr<content::Store> blobs_;
  std::unique_ptr<ContentStore> content_;
  std::unique_ptr<ImageStore> images_;
  std::unique_ptr<LeaseManager> leases_;
  std::shared_ptr<snapshots::Snapshotter> overlay_backend_, native_backend_;
  std::unique_ptr<SnapshotStore> overlay_, native_;
  std::unique_ptr<GarbageCollector> gc_;
};

TEST_F(GcTest, EmptyStoreCollectsNothing) {
  gc::Stats stats = Collect();
  EXPECT_TRUE(stats.Empty());
  EXPECT_THAT(stats.Summary(), HasSubstr("removed 0 content"));
}

TEST_F(GcTest, ImageChainSurvivesAndGoesWithTheImage) {
  Chain c = PullChain("ns", "app");
  Image("ns", "docker.io/library/app:latest", c.index);
  Digest junk = Blob("ns", "unreferenced");
  Layer("ns", "junk", "");

  gc::Stats first = Collect();
  EXPECT_EQ(first.Records(ResourceType::kContent), 1);
  EXPECT_EQ(first.Records(ResourceType::kSnapshot), 1);
  EXPECT_EQ(first.Blobs(), 1);
  EXPECT_FALSE(HasRecord("ns", junk));
  EXPECT_FALSE(OnDisk(junk));
  for (const Digest& d : {c.index, c.manifest, c.config, c.layer0, c.layer1}) {
    EXPECT_TRUE(HasRecord("ns", d)) << d.str();
    EXPECT_TRUE(OnDisk(d)) << d.str();
  }
  EXPECT_THAT(Snapshots("ns"), UnorderedElementsAre("app-base", "app-top"));
  EXPECT_EQ(DiskSnapshots(), 2u);

  ASSERT_TRUE(images_->Delete(Ns("ns"), "docker.io/library/app:latest").ok());
  gc::Stats second = Collect();
  EXPECT_EQ(second.Records(ResourceType::kContent), 5);
  EXPECT_EQ(second.Records(ResourceType::kSnapshot), 2);
  EXPECT_EQ(second.Blobs(), 5);
  EXPECT_GT(second.BlobBytes(), 0);
  EXPECT_THAT(Records("ns"), IsEmpty());
  EXPECT_THAT(Snapshots("ns"), IsEmpty());
  EXPECT_EQ(DiskBlobs(), 0u);
  EXPECT_EQ(DiskSnapshots(), 0u);
  EXPECT_TRUE(Collect().Empty());  // converged
}

TEST_F(GcTest, LeasedContentAndSnapshotsSurviveUntilTheLeaseGoes) {
  ASSERT_TRUE(leases_->Create(Ns("ns"), {.id = "pull"}).ok());
  Digest blob = Blob("ns", "leased", {}, "pull");
  Layer("ns", "leased-layer", "", {}, "pull");

  EXPECT_TRUE(Collect().Empty());
  EXPECT_TRUE(HasRecord("ns", blob));
  EXPECT_TRUE(OnDisk(blob));
  EXPECT_THAT(Snapshots("ns"), UnorderedElementsAre("leased-layer"));

  ASSERT_TRUE(leases_->Delete(Ns("ns"), "pull").ok());
  gc::Stats stats = Collect();
  EXPECT_EQ(stats.Records(ResourceType::kContent), 1);
  EXPECT_EQ(stats.Records(ResourceType::kSnapshot), 1);
  EXPECT_FALSE(OnDisk(blob));
  EXPECT_THAT(Snapshots("ns"), IsEmpty());
  EXPECT_EQ(DiskSnapshots(), 0u);
}

TEST_F(GcTest, ExpiredLeasesAreCollectedWithWhatOnlyTheyHeld) {
  ASSERT_TRUE(
      leases_
          ->Create(Ns("ns"),
                   {.id = "old", .labels = {{"containerd.io/gc.expire", "2001-01-01T00:00:00Z"}}})
          .ok());
  ASSERT_TRUE(
      leases_
          ->Create(Ns("ns"),
                   {.id = "new", .labels = {{"containerd.io/gc.expire", "2999-01-01T00:00:00Z"}}})
          .ok());
  Digest old_blob = Blob("ns", "held by old", {}, "old");
  Digest new_blob = Blob("ns", "held by new", {}, "new");

  gc::Stats stats = Collect();
  EXPECT_EQ(stats.Records(ResourceType::kLease), 1);
  bool reason_named = false;
  for (const gc::Removal& r : stats.removed) {
    if (r.node.type == ResourceType::kLease)
      reason_named = r.reason.find("expired at 2001") != std::string::npos;
  }
  EXPECT_TRUE(reason_named);
  auto list = leases_->List(Ns("ns"), {});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, "new");
  EXPECT_FALSE(OnDisk(old_blob));
  EXPECT_TRUE(OnDisk(new_blob));
  EXPECT_TRUE(HasRecord("ns", new_blob));
}

TEST_F(GcTest, GcRootLabelledObjectsSurviveWithWhatTheyReference) {
  Digest child = Blob("ns", "child");
  Digest root =
      Blob("ns", "root",
           {{"containerd.io/gc.root", "yes"}, {"containerd.io/gc.ref.content", child.str()}});
  Layer("ns", "base", "");
  Layer("ns", "pinned", "base", {{"containerd.io/gc.root", ""}});
  Digest loose = Blob("ns", "loose");

  gc::Stats stats = Collect();
  EXPECT_EQ(stats.Records(ResourceType::kContent), 1);
  EXPECT_EQ(stats.Records(ResourceType::kSnapshot), 0);
  EXPECT_TRUE(HasRecord("ns", root));
  EXPECT_TRUE(HasRecord("ns", child));
  EXPECT_FALSE(HasRecord("ns", loose));
  EXPECT_THAT(Snapshots("ns"), UnorderedElementsAre("base", "pinned"));
  EXPECT_EQ(DiskSnapshots(), 2u);
}

TEST_F(GcTest, ContentSharedByTwoNamespacesStaysUntilBothDropIt) {
  Digest a = Blob("a", "shared bytes");
  Digest b = Blob("b", "shared bytes");
  ASSERT_EQ(a, b);
  Image("a", "img", a);
  Image("b", "img", b);
  EXPECT_TRUE(Collect().Empty());

  ASSERT_TRUE(images_->Delete(Ns("a"), "img").ok());
  gc::Stats stats = Collect();
  EXPECT_EQ(stats.Records(ResourceType::kContent), 1);
  EXPECT_EQ(stats.Blobs(), 0);
  EXPECT_FALSE(HasRecord("a", a));
  EXPECT_TRUE(HasRecord("b", b));
  EXPECT_TRUE(OnDisk(b));

  ASSERT_TRUE(images_->Delete(Ns("b"), "img").ok());
  stats = Collect();
  EXPECT_EQ(stats.Blobs(), 1);
  EXPECT_FALSE(OnDisk(b));
}

TEST_F(GcTest, DanglingLabelsAndCyclesAreHarmless) {
  Digest x = Blob("ns", "x",
                  {{"containerd.io/gc.ref.content.a", "sha256:" + std::string(64, '0')},
                   {"containerd.io/gc.ref.content.b", "not a digest"},
                   {"containerd.io/gc.ref.snapshot.overlayfs", "missing"},
                   {"containerd.io/gc.ref.snapshot.unknownsnapshotter", "k"}});
  Digest y = Blob("ns", "y", {{"containerd.io/gc.ref.content", x.str()}});
  ASSERT_TRUE(content_
                  ->Update(Ns("ns"),
                           {.digest = x, .labels = {{"containerd.io/gc.ref.content.y", y.str()}}},
                           {"labels.containerd.io/gc.ref.content.y"})
                  .ok());
  Image("ns", "cycle", x);
  EXPECT_TRUE(Collect().Empty());
  ASSERT_TRUE(images_->Delete(Ns("ns"), "cycle").ok());
  EXPECT_EQ(Collect().Records(ResourceType::kContent), 2);
  EXPECT_EQ(DiskBlobs(), 0u);
}

TEST_F(GcTest, DryRunReportsWithoutRemoving) {
  Chain c = PullChain("ns", "app");
  gc::Stats dry = *gc_->Run(/*dry_run=*/true);
  EXPECT_TRUE(dry.dry_run);
  EXPECT_EQ(dry.Records(ResourceType::kContent), 5);
  EXPECT_EQ(dry.Records(ResourceType::kSnapshot), 2);
  EXPECT_EQ(dry.Blobs(), 5);
  EXPECT_THAT(dry.Summary(), HasSubstr("would remove 5 content, 2 snapshot"));
  EXPECT_EQ(DiskBlobs(), 5u);
  EXPECT_TRUE(HasRecord("ns", c.index));
  EXPECT_EQ(Snapshots("ns").size(), 2u);

  gc::Stats real = Collect();
  EXPECT_EQ(real.Records(ResourceType::kContent), dry.Records(ResourceType::kContent));
  EXPECT_EQ(real.Records(ResourceType::kSnapshot), dry.Records(ResourceType::kSnapshot));
  EXPECT_EQ(real.Blobs(), dry.Blobs());
  EXPECT_EQ(real.BlobBytes(), dry.BlobBytes());
}

TEST_F(GcTest, CrashBetweenSweepAndDiskLeavesOnlyGarbage) {
  Chain c = PullChain("ns", "app");
  Image("ns", "app", c.index);
  Chain other = PullChain("ns", "other");
  Image("ns", "other", other.index);
  ASSERT_TRUE(images_->Delete(Ns("ns"), "app").ok());

  // The sweep commits, then the daemon dies before touching the disk.
  absl::StatusOr<GarbageCollector::Sweep> sweep = gc_->SweepMetadata(/*dry_run=*/false);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_EQ(sweep->stats.Records(ResourceType::kContent), 5);
  Restart();

  // Nothing referenced is missing; the disk still holds the swept objects.
  ExpectNoDanglingRecords("ns");
  EXPECT_FALSE(HasRecord("ns", c.index));
  EXPECT_TRUE(OnDisk(c.index));
  EXPECT_EQ(DiskBlobs(), 10u);
  EXPECT_EQ(DiskSnapshots(), 4u);

  // The next run finds the leftovers although no record of them remains.
  gc::Stats stats = Collect();
  EXPECT_EQ(stats.Records(ResourceType::kContent), 0);
  EXPECT_EQ(stats.Blobs(), 5);
  EXPECT_EQ(DiskBlobs(), 5u);
  EXPECT_EQ(DiskSnapshots(), 2u);
  ExpectNoDanglingRecords("ns");
  for (const Digest& d : {other.index, other.manifest, other.config, other.layer0, other.layer1}) {
    EXPECT_TRUE(HasRecord("ns", d));
  }
  EXPECT_THAT(Snapshots("ns"), UnorderedElementsAre("other-base", "other-top"));
}

// The sweep's commit leaves a marker; at start-up FinishInterrupted completes the disk phase, including the
// backend ingests of swept ingest records, which nothing else would ever name again.
TEST_F(GcTest, RestartFinishesTheDiskPhaseACrashInterrupted) {
  Chain c = PullChain("ns", "app");
  Image("ns", "app", c.index);
  Chain other = PullChain("ns", "other");
  Image("ns", "other", other.index);
  ASSERT_TRUE(leases_->Create(Ns("ns"), {.id = "l"}).ok());
  auto leased = content_->OpenWriter(Ns("ns", "l"), {.ref = "leased"});
  ASSERT_TRUE(leased.ok()) << leased.status();
  ASSERT_TRUE((*leased)->Write("partial").ok());
  leased->reset();
  ASSERT_TRUE(images_->Delete(Ns("ns"), "app").ok());
  ASSERT_TRUE(leases_->Delete(Ns("ns"), "l").ok());

  absl::StatusOr<GarbageCollector::Sweep> sweep = gc_->SweepMetadata(/*dry_run=*/false);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  EXPECT_TRUE(sweep->disk_pending);
  EXPECT_EQ(sweep->backend_ingests.size(), 1u);
  Restart();  // the crash: nothing of the disk phase ran

  ASSERT_TRUE(gc_->FinishInterrupted().ok());
  EXPECT_EQ(DiskBlobs(), 5u);
  EXPECT_EQ(DiskSnapshots(), 2u);
  auto backend = blobs_->ListStatuses(Context{}, {});
  ASSERT_TRUE(backend.ok());
  EXPECT_THAT(*backend, IsEmpty()) << "the swept ingest's backend ingest is aborted";
  ExpectNoDanglingRecords("ns");

  // The marker is gone: nothing is left to finish, and a collection finds nothing.
  Restart();
  ASSERT_TRUE(gc_->FinishInterrupted().ok());
  gc::Stats stats = Collect();
  EXPECT_EQ(stats.Records(ResourceType::kContent), 0);
  EXPECT_EQ(stats.Blobs(), 0);
  EXPECT_EQ(stats.OnDisk(ResourceType::kSnapshot), 0);
}

// Progress: the phases in order, the disk phase counting up to its total.
TEST_F(GcTest, ReportsPhasesAndCountsTheDiskObjects) {
  Chain c = PullChain("ns", "app");
  Image("ns", "app", c.index);
  ASSERT_TRUE(images_->Delete(Ns("ns"), "app").ok());
  std::vector<gc::Progress> seen;
  absl::StatusOr<gc::Stats> stats = gc_->Run(false, [&](const gc::Progress& p) { seen.push_back(p); });
  ASSERT_TRUE(stats.ok()) << stats.status();
  std::vector<std::string> phases;
  for (const gc::Progress& p : seen) {
    if (phases.empty() || phases.back() != p.phase) phases.push_back(p.phase);
  }
  EXPECT_THAT(phases, ::testing::ElementsAre("marking", "sweeping metadata", "removing disk objects",
                                             "removing snapshots"));
  ASSERT_GE(seen.size(), 4u);
  EXPECT_EQ(seen[1].done, 7);  // 5 content and 2 snapshot records
  gc::Progress disk;
  for (const gc::Progress& p : seen) {
    if (p.phase == "removing disk objects") disk = p;
  }
  EXPECT_EQ(disk.done, 5);
  EXPECT_EQ(disk.total, 5);
  EXPECT_EQ(seen.back().done, 2);
  EXPECT_EQ(stats->OnDisk(ResourceType::kSnapshot), 2);
  EXPECT_THAT(stats->Summary(), HasSubstr("on disk 5 blobs"));
  EXPECT_THAT(stats->Summary(), HasSubstr("2 snapshots"));
}

TEST_F(GcTest, UnleasedIngestSurvivesLeasedOneGoesWithItsLease) {
  auto unleased = content_->OpenWriter(Ns("ns"), {.ref = "resumable"});
  ASSERT_TRUE(unleased.ok()) << unleased.status();
  ASSERT_TRUE((*unleased)->Write("partial").ok());
  unleased->reset();
  ASSERT_TRUE(leases_->Create(Ns("ns"), {.id = "l"}).ok());
  auto leased = content_->OpenWriter(Ns("ns", "l"), {.ref = "leased"});
  ASSERT_TRUE(leased.ok()) << leased.status();
  ASSERT_TRUE((*leased)->Write("partial").ok());
  leased->reset();

  EXPECT_TRUE(Collect().Empty());
  ASSERT_TRUE(leases_->Delete(Ns("ns"), "l").ok());
  gc::Stats stats = Collect();
  EXPECT_EQ(stats.Records(ResourceType::kIngest), 1);
  auto statuses = content_->ListStatuses(Ns("ns"), {});
  ASSERT_TRUE(statuses.ok());
  ASSERT_EQ(statuses->size(), 1u);
  EXPECT_EQ((*statuses)[0].ref, "resumable");
  auto backend = blobs_->ListStatuses(Context{}, {});
  ASSERT_TRUE(backend.ok());
  EXPECT_EQ(backend->size(), 1u);  // the leased one's backend ingest was aborted
}

TEST_F(GcTest, DeletionTriggersADebouncedCollection) {
  Close();
  Reopen();
  Open({.delay = absl::ZeroDuration(),
        .min_interval = absl::Milliseconds(20),
        .period = absl::InfiniteDuration(),
        .startup_delay = absl::InfiniteDuration()});
  Digest d = Blob("ns", "image bytes");
  Image("ns", "img", d);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(OnDisk(d));  // no deletion yet, no collection
  ASSERT_TRUE(images_->Delete(Ns("ns"), "img").ok());
  absl::Time end = absl::Now() + absl::Seconds(5);
  while (OnDisk(d) && absl::Now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(OnDisk(d));
  EXPECT_FALSE(HasRecord("ns", d));
}

TEST_F(GcTest, ConcurrentCommitsUnderLeasesNeverLoseBlobs) {
  ASSERT_TRUE(leases_->Create(Ns("ns"), {.id = "pull"}).ok());
  std::atomic<bool> done = false;
  std::thread collector([&] {
    while (!done) EXPECT_TRUE(gc_->Run().ok());
  });
  std::vector<Digest> written;
  for (int i = 0; i < 40; ++i)
    written.push_back(Blob("ns", "blob " + std::to_string(i), {}, "pull"));
  done = true;
  collector.join();
  for (const Digest& d : written) {
    EXPECT_TRUE(HasRecord("ns", d)) << d.str();
    EXPECT_TRUE(OnDisk(d)) << d.str();
  }
}

}  // namespace
}  // namespace berth::metadata
