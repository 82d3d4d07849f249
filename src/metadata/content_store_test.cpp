#include "metadata/content_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "core/content/testsuite/suite_util.h"
#include "metadata/lease_manager.h"
#include "metadata/namespace_store.h"
#include "metadata/test_util.h"
#include "plugins/content/local/local_store.h"

namespace berth::metadata {
namespace {

using content::testing::ReadBlob;
using content::testing::WriteBlob;
using ::testing::ElementsAre;

class ContentStoreTest : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    OpenStore();
  }
  void OpenStore() {
    auto local = content::LocalStore::Open((dir_.path() / "content").string());
    ASSERT_TRUE(local.ok()) << local.status();
    backend_ = std::shared_ptr<content::Store>(std::move(*local));
    store_ = std::make_unique<ContentStore>(db_.get(), backend_);
  }
  void Restart() {
    store_.reset();
    backend_.reset();
    Reopen();
    OpenStore();
  }
  // Blob files on disk, whatever the namespaces.
  size_t BlobFiles() {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path() / "content" / "blobs" / "sha256")) {
      (void)e;
      ++n;
    }
    return n;
  }
  bool InBackend(const Digest& d) { return backend_->GetInfo(Ns("any"), d).ok(); }

  std::shared_ptr<content::Store> backend_;
  std::unique_ptr<ContentStore> store_;
};

TEST_F(ContentStoreTest, NamespaceIsRequired) {
  EXPECT_EQ(store_->GetInfo(Context{}, Digest::Of("x")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->OpenWriter(Context{}, {.ref = "r"}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ContentStoreTest, BlobIsVisibleOnlyInItsNamespaceButStoredOnce) {
  auto d = WriteBlob(*store_, Ns("a"), "ref", "shared bytes", {{"k", "v"}});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(store_->GetInfo(Ns("a"), *d)->labels, (Labels{{"k", "v"}}));

  absl::Status hidden = store_->GetInfo(Ns("b"), *d).status();
  EXPECT_EQ(hidden.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(hidden.message()), fmt::format("content digest {}: not found", d->str()));
  EXPECT_EQ(store_->OpenReader(Ns("b"), *d).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete(Ns("b"), *d).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Update(Ns("b"), {.digest = *d, .labels = {{"x", "y"}}}, {}).status().code(),
            absl::StatusCode::kNotFound);
  int walked = 0;
  ASSERT_TRUE(store_->Walk(Ns("b"), {}, [&](const content::Info&) {
                       ++walked;
                       return absl::OkStatus();
                     }).ok());
  EXPECT_EQ(walked, 0);

  // Writing it in b with the expected digest shares the stored blob: nothing to write, one file on disk.
  auto w = store_->OpenWriter(Ns("b"), {.ref = "ref", .total = 0, .expected = *d});
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->GetStatus().offset, 12);
  EXPECT_EQ((*w)->GetStatus().ref, "ref");
  EXPECT_EQ((*w)->RunningDigest(), *d);
  EXPECT_EQ((*w)->Commit({.size = 13, .expected = std::nullopt, .labels = {}}).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*w)->Commit({.size = 12, .expected = *d, .labels = {{"b", "1"}}}).ok());
  EXPECT_EQ(ReadBlob(*store_, Ns("b"), *d).value(), "shared bytes");
  EXPECT_EQ(store_->GetInfo(Ns("b"), *d)->labels, (Labels{{"b", "1"}}));
  EXPECT_EQ(store_->GetInfo(Ns("a"), *d)->labels, (Labels{{"k", "v"}})) << "labels are per namespace";
  EXPECT_EQ(BlobFiles(), 1u);

  // In a namespace that has it, expecting it is AlreadyExists.
  EXPECT_EQ(store_->OpenWriter(Ns("b"), {.ref = "again", .total = 0, .expected = *d}).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(ContentStoreTest, BytesWrittenToASharedWriterAreStillVerified) {
  auto d = WriteBlob(*store_, Ns("a"), "ref", "payload");
  ASSERT_TRUE(d.ok());
  auto w = store_->OpenWriter(Ns("b"), {.ref = "r", .total = 0, .expected = *d});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Truncate().ok());  // the client restarts at offset 0 and sends the bytes
  EXPECT_EQ((*w)->GetStatus().offset, 0);
  ASSERT_TRUE((*w)->Write("not the payload").ok());
  EXPECT_EQ((*w)->Commit({.size = 0, .expected = *d, .labels = {}}).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*w)->Truncate().ok());
  ASSERT_TRUE((*w)->Write("payload").ok());
  ASSERT_TRUE((*w)->Commit({.size = 7, .expected = *d, .labels = {}}).ok());
  EXPECT_TRUE(store_->GetInfo(Ns("b"), *d).ok());
  EXPECT_EQ(BlobFiles(), 1u);
}

TEST_F(ContentStoreTest, IngestsArePerNamespace) {
  auto wa = store_->OpenWriter(Ns("a"), {.ref = "layer", .total = 10, .expected = std::nullopt});
  ASSERT_TRUE(wa.ok());
  ASSERT_TRUE((*wa)->Write("aaa").ok());
  // The same ref in another namespace is another ingest, not a busy ref.
  auto wb = store_->OpenWriter(Ns("b"), {.ref = "layer", .total = 20, .expected = std::nullopt});
  ASSERT_TRUE(wb.ok()) << wb.status();
  ASSERT_TRUE((*wb)->Write("b").ok());

  auto list = store_->ListStatuses(Ns("a"), {""});  // what `ctr content active` sends
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].ref, "layer");
  EXPECT_EQ((*list)[0].offset, 3);
  EXPECT_EQ(store_->GetStatus(Ns("b"), "layer")->offset, 1);
  EXPECT_EQ(store_->GetStatus(Ns("c"), "layer").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ListStatuses(Ns("a"), {"ref==other"})->size(), 0u);
  EXPECT_EQ(store_->Abort(Ns("c"), "layer").code(), absl::StatusCode::kNotFound);

  wa->reset();
  ASSERT_TRUE(store_->Abort(Ns("a"), "layer").ok());
  EXPECT_EQ(store_->GetStatus(Ns("a"), "layer").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetStatus(Ns("b"), "layer")->offset, 1);
}

TEST_F(ContentStoreTest, LeaseHoldsTheIngestThenTheContent) {
  LeaseManager leases(db_.get());
  ASSERT_TRUE(leases.Create(Ns("n"), {.id = "pull", .created_at = {}, .labels = {}}).ok());
  EXPECT_EQ(store_->OpenWriter(Ns("n", "missing"), {.ref = "r", .total = 0, .expected = std::nullopt})
                .status()
                .code(),
            absl::StatusCode::kNotFound);

  auto w = store_->OpenWriter(Ns("n", "pull"), {.ref = "r", .total = 0, .expected = std::nullopt});
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_THAT(leases.ListResources(Ns("n"), "pull").value(),
              ElementsAre(leases::Resource{.id = "r", .type = "ingests"}));
  ASSERT_TRUE((*w)->Write("leased").ok());
  ASSERT_TRUE((*w)->Commit({.size = 6, .expected = std::nullopt, .labels = {}}).ok());
  EXPECT_THAT(leases.ListResources(Ns("n"), "pull").value(),
              ElementsAre(leases::Resource{.id = Digest::Of("leased").str(), .type = "content"}));

  // Expecting content the namespace already has is AlreadyExists, and still leases it.
  ASSERT_TRUE(leases.Create(Ns("n"), {.id = "second", .created_at = {}, .labels = {}}).ok());
  EXPECT_EQ(store_->OpenWriter(Ns("n", "second"), {.ref = "x", .total = 0, .expected = Digest::Of("leased")})
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(leases.ListResources(Ns("n"), "second").value(),
              ElementsAre(leases::Resource{.id = Digest::Of("leased").str(), .type = "content"}));

  ASSERT_TRUE(store_->Delete(Ns("n", "pull"), Digest::Of("leased")).ok());
  EXPECT_THAT(leases.ListResources(Ns("n"), "pull").value(), ElementsAre());
}

TEST_F(ContentStoreTest, DeleteRemovesTheBlobWithItsLastReference) {
  auto d = WriteBlob(*store_, Ns("a"), "r", "refcounted");
  ASSERT_TRUE(d.ok());
  auto w = store_->OpenWriter(Ns("b"), {.ref = "r", .total = 0, .expected = *d});
  ASSERT_TRUE(w.ok() && (*w)->Commit({}).ok());

  ASSERT_TRUE(store_->Delete(Ns("a"), *d).ok());
  EXPECT_TRUE(InBackend(*d)) << "b still references it";
  EXPECT_EQ(ReadBlob(*store_, Ns("b"), *d).value(), "refcounted");
  EXPECT_EQ(store_->Delete(Ns("a"), *d).code(), absl::StatusCode::kNotFound);

  // An ingest that expects the digest (a shared writer not yet committed) keeps it too.
  auto pending = store_->OpenWriter(Ns("c"), {.ref = "r", .total = 0, .expected = *d});
  ASSERT_TRUE(pending.ok());
  ASSERT_TRUE(store_->Delete(Ns("b"), *d).ok());
  EXPECT_TRUE(InBackend(*d)) << "c's ingest expects it";
  ASSERT_TRUE((*pending)->Commit({}).ok());
  EXPECT_EQ(ReadBlob(*store_, Ns("c"), *d).value(), "refcounted");

  ASSERT_TRUE(store_->Delete(Ns("c"), *d).ok());
  EXPECT_FALSE(InBackend(*d));
  EXPECT_EQ(BlobFiles(), 0u);
}

TEST_F(ContentStoreTest, AbortingTheLastExpectingIngestReleasesAnUnreferencedBlob) {
  auto d = WriteBlob(*store_, Ns("a"), "r", "orphan-to-be");
  ASSERT_TRUE(d.ok());
  auto pending = store_->OpenWriter(Ns("b"), {.ref = "r", .total = 0, .expected = *d});
  ASSERT_TRUE(pending.ok());
  ASSERT_TRUE(store_->Delete(Ns("a"), *d).ok());
  EXPECT_TRUE(InBackend(*d));
  pending->reset();
  ASSERT_TRUE(store_->Abort(Ns("b"), "r").ok());
  EXPECT_FALSE(InBackend(*d));
}

TEST_F(ContentStoreTest, CommitIntoANamespaceThatHasItIsAlreadyExists) {
  ASSERT_TRUE(WriteBlob(*store_, Ns("a"), "one", "dup").ok());
  auto w = store_->OpenWriter(Ns("a"), {.ref = "two", .total = 0, .expected = std::nullopt});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write("dup").ok());
  absl::Status s = (*w)->Commit({});
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->ListStatuses(Ns("a"), {})->size(), 0u);
}

TEST_F(ContentStoreTest, UpdateLabelsByPath) {
  auto d = WriteBlob(*store_, Ns("a"), "r", "labels", {{"keep", "1"}, {"drop", "2"}});
  ASSERT_TRUE(d.ok());
  auto info = store_->Update(Ns("a"), {.digest = *d, .labels = {{"new", "3"}}}, {"labels.drop", "labels.new"});
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->labels, (Labels{{"keep", "1"}, {"new", "3"}}));
  EXPECT_EQ(info->size, 6);
  EXPECT_EQ(store_->Update(Ns("a"), {.digest = *d}, {"size"}).status().code(), absl::StatusCode::kInvalidArgument);
  int matched = 0;
  ASSERT_TRUE(store_->Walk(Ns("a"), {"labels.new==3"}, [&](const content::Info&) {
                       ++matched;
                       return absl::OkStatus();
                     }).ok());
  EXPECT_EQ(matched, 1);
}

TEST_F(ContentStoreTest, NamespaceWithBlobsCannotBeDeletedAndWritesCreateIt) {
  auto d = WriteBlob(*store_, Ns("fresh"), "r", "x");
  ASSERT_TRUE(d.ok());
  NamespaceStore namespaces(db_.get());
  EXPECT_TRUE(namespaces.Get("fresh").ok());
  absl::Status s = namespaces.Delete("fresh");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(s.message()), "namespace \"fresh\" must be empty, but it still has blobs");
  ASSERT_TRUE(store_->Delete(Ns("fresh"), *d).ok());
  EXPECT_TRUE(namespaces.Delete("fresh").ok());
}

TEST_F(ContentStoreTest, RecordsAndIngestsSurviveRestart) {
  auto d = WriteBlob(*store_, Ns("a"), "r", "durable", {{"l", "v"}});
  ASSERT_TRUE(d.ok());
  {
    auto w = store_->OpenWriter(Ns("a"), {.ref = "half", .total = 8, .expected = std::nullopt});
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write("half").ok());
  }
  Restart();
  EXPECT_EQ(store_->GetInfo(Ns("a"), *d)->labels, (Labels{{"l", "v"}}));
  EXPECT_EQ(store_->GetStatus(Ns("a"), "half")->offset, 4);
  auto w = store_->OpenWriter(Ns("a"), {.ref = "half", .total = 8, .expected = std::nullopt});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->GetStatus().offset, 4);
}

// Namespaces committing and deleting the same digest at once: whatever the interleaving, every record left
// points at a blob that exists, and with no records left the blob is gone.
TEST_F(ContentStoreTest, ConcurrentCommitsAndDeletesOfOneDigestKeepRecordsBacked) {
  const std::string data = content::testing::RandomBytes(64 * 1024, 7);
  const Digest d = Digest::Of(data);
  constexpr int kThreads = 6;
  constexpr int kRounds = 16;  // odd last round: every namespace ends holding a record
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Context ctx = Ns(fmt::format("ns{}", t));
      for (int i = 0; i < kRounds; ++i) {
        absl::Status s = WriteBlob(*store_, ctx, fmt::format("r{}", i), data).status();
        EXPECT_TRUE(s.ok() || absl::IsAlreadyExists(s)) << s;
        EXPECT_EQ(ReadBlob(*store_, ctx, d).value_or("<missing>").size(), data.size());
        if (i % 2 == 0) {
          EXPECT_TRUE(store_->Delete(ctx, d).ok());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  int holders = 0;
  for (int t = 0; t < kThreads; ++t) {
    if (store_->GetInfo(Ns(fmt::format("ns{}", t)), d).ok()) ++holders;
  }
  EXPECT_EQ(holders, kThreads);  // the last round (odd) keeps the record
  EXPECT_TRUE(InBackend(d));
  for (int t = 0; t < kThreads; ++t) ASSERT_TRUE(store_->Delete(Ns(fmt::format("ns{}", t)), d).ok());
  EXPECT_FALSE(InBackend(d));
}

}  // namespace
}  // namespace berth::metadata
