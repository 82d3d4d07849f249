// LocalStore beyond the conformance suite: its on-disk layout, recovery from a crashed process, bad
// inputs.
#include "plugins/content/local/local_store.h"

#include <filesystem>

#include "core/content/testsuite/suite_util.h"
#include "plugins/content/local/ingest.h"
#include "plugins/content/local/test_util.h"

namespace berth::content {
namespace {

namespace fs = std::filesystem;
using testing::ListNames;
using testing::MessageHas;
using testing::ModeOf;
using testing::RandomBytes;
using testing::ReadBlob;
using testing::ReadFile;
using testing::TempRoot;
using testing::WriteBlob;
using testing::WriteFile;

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<LocalStore>> s = LocalStore::Open(root_.path());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }

  fs::path root() const { return root_.path(); }
  fs::path IngestDir(const std::string& ref) const {
    return root() / "ingest" / std::string(Digest::Of(ref).hex());
  }
  fs::path BlobPath(const Digest& d) const {
    return root() / "blobs" / "sha256" / std::string(d.hex());
  }

  TempRoot root_;
  Context ctx_;
  std::unique_ptr<LocalStore> store_;
};

TEST_F(LocalStoreTest, LayoutAndPermissions) {
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                             store_->OpenWriter(ctx_, {.ref = "layout/ref"}));
  BERTH_ASSERT_OK(w->Write("blob bytes"));
  EXPECT_EQ(ListNames(IngestDir("layout/ref")), (std::vector<std::string>{"data", "meta"}));
  EXPECT_EQ(ReadFile(IngestDir("layout/ref") / "data"), "blob bytes");
  BERTH_ASSERT_OK(w->Commit({.size = 10, .expected = Digest::Of("blob bytes")}));

  const fs::path blob = BlobPath(Digest::Of("blob bytes"));
  EXPECT_EQ(ReadFile(blob), "blob bytes");
  EXPECT_EQ(ModeOf(blob), 0444u);
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(blob)));
  for (const char* dir : {"blobs", "blobs/sha256", "ingest"})
    EXPECT_EQ(ModeOf(root() / dir), 0700u) << dir;
  EXPECT_TRUE(ListNames(root() / "ingest").empty());
}

TEST_F(LocalStoreTest, UpdateIsUnimplementedBecauseLabelsLiveInMetadata) {
  BERTH_ASSERT_OK_AND_ASSIGN(Digest d, WriteBlob(*store_, ctx_, "x", "x"));
  absl::StatusOr<Info> info = store_->Update(ctx_, {.digest = d, .labels = {{"a", "b"}}}, {});
  EXPECT_EQ(info.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(MessageHas(info.status(), "labels are kept by the metadata store")) << info.status();
  // Commit's labels are not an error, they are just not kept here.
  BERTH_ASSERT_OK_AND_ASSIGN(Info got, store_->GetInfo(ctx_, d));
  EXPECT_TRUE(got.labels.empty());
}

// What a process killed with SIGKILL leaves behind, including debris of every crash point, is
// recovered on Open.
TEST_F(LocalStoreTest, ReopenAfterKillResumesAndSweepsDebris) {
  const std::string data = RandomBytes(5000, 1);
  BERTH_ASSERT_OK_AND_ASSIGN(Digest kept, WriteBlob(*store_, ctx_, "kept", "committed earlier"));
  {
    BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                               store_->OpenWriter(ctx_, {.ref = "victim"}));
    BERTH_ASSERT_OK(w->Write(std::string_view(data).substr(0, 1000)));
  }
  store_.reset();
  // A write that reached the file but was never acknowledged to the client.
  WriteFile(IngestDir("victim") / "data", data.substr(1000, 37), /*append=*/true);
  // A meta.tmp from a crash while rewriting meta.
  WriteFile(IngestDir("victim") / "meta.tmp", "half a meta");
  // An ingest that crashed while starting: data, no meta.
  fs::create_directory(IngestDir("starting"));
  WriteFile(IngestDir("starting") / "data", "abc");
  // A commit that crashed after its rename: meta, no data.
  fs::create_directory(IngestDir("committing"));
  WriteFile(IngestDir("committing") / "meta",
            EncodeIngestMeta(
                {.ref = "committing", .total = 0, .expected = {}, .started_at = absl::Now()}));
  // A meta that is not ours, a stray temp file, and a non-blob name among the blobs.
  fs::create_directory(IngestDir("garbage"));
  WriteFile(IngestDir("garbage") / "meta", "garbage");
  WriteFile(IngestDir("garbage") / "data", "");
  WriteFile(root() / "ingest" / "x.tmp", "");
  WriteFile(root() / "blobs" / "sha256" / "not-a-digest", "junk");

  Reopen();

  EXPECT_EQ(ListNames(root() / "ingest"),
            std::vector<std::string>{std::string(Digest::Of("victim").hex())});
  EXPECT_EQ(ListNames(IngestDir("victim")), (std::vector<std::string>{"data", "meta"}));
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<Status> active, store_->ListStatuses(ctx_, {}));
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].ref, "victim");
  EXPECT_EQ(active[0].offset, 1037);

  std::vector<Digest> blobs;
  BERTH_ASSERT_OK(store_->Walk(ctx_, {}, [&](const Info& i) {
    blobs.push_back(i.digest);
    return absl::OkStatus();
  }));
  EXPECT_EQ(blobs, std::vector<Digest>{kept});

  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                             store_->OpenWriter(ctx_, {.ref = "victim"}));
  EXPECT_EQ(w->GetStatus().offset, 1037);
  EXPECT_EQ(w->RunningDigest(), Digest::Of(std::string_view(data).substr(0, 1037)));
  BERTH_ASSERT_OK(w->Write(std::string_view(data).substr(1037)));
  BERTH_ASSERT_OK(w->Commit({.size = 5000, .expected = Digest::Of(data)}));
  BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(*store_, ctx_, Digest::Of(data)));
  EXPECT_TRUE(back == data);
}

TEST_F(LocalStoreTest, CorruptMetaStartsTheIngestOver) {
  {
    BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                               store_->OpenWriter(ctx_, {.ref = "torn"}));
    BERTH_ASSERT_OK(w->Write("old bytes"));
  }
  WriteFile(IngestDir("torn") / "meta", "berth-ingest v1\ntot");
  EXPECT_EQ(store_->GetStatus(ctx_, "torn").status().code(), absl::StatusCode::kNotFound);
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w, store_->OpenWriter(ctx_, {.ref = "torn"}));
  EXPECT_EQ(w->GetStatus().offset, 0);
  EXPECT_EQ(ReadFile(IngestDir("torn") / "data"), "");
}

TEST_F(LocalStoreTest, ResumeRejectsConflictingTotalOrDigest) {
  {
    BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                               store_->OpenWriter(ctx_, {.ref = "r", .total = 100}));
    BERTH_ASSERT_OK(w->Write("abc"));
  }
  absl::StatusOr<std::unique_ptr<Writer>> bad =
      store_->OpenWriter(ctx_, {.ref = "r", .total = 200});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kFailedPrecondition) << bad.status();
  EXPECT_TRUE(MessageHas(bad.status(), "total 100, not 200")) << bad.status();
  {
    // A digest not known at the start is recorded; the total is kept.
    BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                               store_->OpenWriter(ctx_, {.ref = "r", .expected = Digest::Of("x")}));
    EXPECT_EQ(w->GetStatus().total, 100);
    EXPECT_EQ(w->GetStatus().offset, 3);
  }
  BERTH_ASSERT_OK_AND_ASSIGN(Status st, store_->GetStatus(ctx_, "r"));
  EXPECT_EQ(st.expected, Digest::Of("x"));
  bad = store_->OpenWriter(ctx_, {.ref = "r", .expected = Digest::Of("y")});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kFailedPrecondition) << bad.status();
}

TEST_F(LocalStoreTest, ReaderKeepsWorkingAfterDelete) {
  BERTH_ASSERT_OK_AND_ASSIGN(Digest d, WriteBlob(*store_, ctx_, "r", "still readable"));
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Reader> r, store_->OpenReader(ctx_, d));
  BERTH_ASSERT_OK(store_->Delete(ctx_, d));
  EXPECT_FALSE(fs::exists(BlobPath(d)));
  std::string buf(14, '\0');
  BERTH_ASSERT_OK_AND_ASSIGN(size_t n, r->ReadAt(0, buf));
  EXPECT_EQ(n, 14u);
  EXPECT_EQ(buf, "still readable");
}

TEST_F(LocalStoreTest, WriterOutlivesStore) {
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w, store_->OpenWriter(ctx_, {.ref = "late"}));
  store_.reset();
  BERTH_ASSERT_OK(w->Write("late commit"));
  BERTH_ASSERT_OK(w->Commit({.size = 11}));
  Reopen();
  BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(*store_, ctx_, Digest::Of("late commit")));
  EXPECT_EQ(back, "late commit");
}

TEST_F(LocalStoreTest, UnsupportedFiltersAreInvalidArgument) {
  EXPECT_EQ(store_->ListStatuses(ctx_, {"labels.a==b"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Walk(ctx_, {"size>1"}, [](const Info&) { return absl::OkStatus(); }).code(),
            absl::StatusCode::kInvalidArgument);
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<Status> none, store_->ListStatuses(ctx_, {""}));
  EXPECT_TRUE(none.empty());
}

TEST(LocalStoreOpenTest, RejectsEmptyRootAndRootThatIsAFile) {
  EXPECT_EQ(LocalStore::Open("").status().code(), absl::StatusCode::kInvalidArgument);
  TempRoot tmp;
  WriteFile(fs::path(tmp.path()) / "file", "x");
  absl::StatusOr<std::unique_ptr<LocalStore>> s = LocalStore::Open(tmp.path() + "/file");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(MessageHas(s.status(), "file")) << s.status();
}

TEST(LocalStoreOpenTest, CreatesMissingParentsAndAcceptsTrailingSlash) {
  TempRoot tmp;
  const std::string root = tmp.path() + "/a/b/content/";
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<LocalStore> store, LocalStore::Open(root));
  EXPECT_EQ(store->root(), tmp.path() + "/a/b/content");
  EXPECT_TRUE(fs::is_directory(fs::path(tmp.path()) / "a/b/content/blobs/sha256"));
}

}  // namespace
}  // namespace berth::content
