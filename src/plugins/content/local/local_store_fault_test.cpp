// Crash points of LocalStore, driven through FaultFs: whatever fails, no unverified or partial blob
// becomes visible, committed blobs stay intact, and the ingest is either resumable or cleanly
// abortable.
#include <filesystem>

#include "core/content/testsuite/suite_util.h"
#include "plugins/content/local/fault_fs.h"
#include "plugins/content/local/local_store.h"
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

class LocalStoreFaultTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<LocalStore>> s = LocalStore::Open(root_.path(), {.fs = fault_});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }

  std::vector<std::string> Blobs() const {
    return ListNames(fs::path(root_.path()) / "blobs" / "sha256");
  }
  fs::path DataPath(const std::string& ref) const {
    return fs::path(root_.path()) / "ingest" / std::string(Digest::Of(ref).hex()) / "data";
  }
  int64_t OffsetOnDisk(const std::string& ref) {
    absl::StatusOr<Status> st = store_->GetStatus(ctx_, ref);
    EXPECT_TRUE(st.ok()) << st.status();
    return st.ok() ? st->offset : -1;
  }

  TempRoot root_;
  std::shared_ptr<FaultFs> fault_ = std::make_shared<FaultFs>(NewRealFs());
  Context ctx_;
  std::unique_ptr<LocalStore> store_;
};

TEST_F(LocalStoreFaultTest, FullDiskIsResourceExhaustedAndLosesNothing) {
  const std::string earlier = RandomBytes(10000, 1);
  BERTH_ASSERT_OK_AND_ASSIGN(Digest earlier_digest, WriteBlob(*store_, ctx_, "earlier", earlier));
  const std::string data = RandomBytes(300000, 2);
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w, store_->OpenWriter(ctx_, {.ref = "big"}));
  BERTH_ASSERT_OK(w->Write(std::string_view(data).substr(0, 100000)));

  fault_->FailWritesAfter(1000, ENOSPC);
  absl::Status s = w->Write(std::string_view(data).substr(100000, 65536));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_TRUE(MessageHas(s, "ref big")) << s;
  EXPECT_TRUE(MessageHas(s, "No space left on device")) << s;
  EXPECT_GT(fault_->fired(), 0);
  // The failed write is undone: offset, hash and file agree on the 100000 bytes acknowledged
  // before.
  EXPECT_EQ(w->GetStatus().offset, 100000);
  EXPECT_EQ(OffsetOnDisk("big"), 100000);
  EXPECT_EQ(w->RunningDigest(), Digest::Of(std::string_view(data).substr(0, 100000)));
  BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(*store_, ctx_, earlier_digest));
  EXPECT_TRUE(back == earlier);

  // Space is freed; the same writer carries on.
  fault_->Clear();
  BERTH_ASSERT_OK(w->Write(std::string_view(data).substr(100000)));
  BERTH_ASSERT_OK(w->Commit({.size = 300000, .expected = Digest::Of(data)}));
  BERTH_ASSERT_OK_AND_ASSIGN(back, ReadBlob(*store_, ctx_, Digest::Of(data)));
  EXPECT_TRUE(back == data);
}

TEST_F(LocalStoreFaultTest, UndoFailureStillKeepsOffsetHashAndFileInAgreement) {
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w, store_->OpenWriter(ctx_, {.ref = "torn"}));
  const std::string data = RandomBytes(100, 3);
  fault_->FailWritesAfter(10, EIO);
  fault_->Fail(FaultFs::Op::kTruncate, "/data", EIO);
  EXPECT_FALSE(w->Write(data).ok());
  EXPECT_EQ(w->GetStatus().offset, 10);
  EXPECT_EQ(w->RunningDigest(), Digest::Of(std::string_view(data).substr(0, 10)));
  EXPECT_EQ(ReadFile(DataPath("torn")), data.substr(0, 10));
  fault_->Clear();
  w.reset();
  BERTH_ASSERT_OK_AND_ASSIGN(w, store_->OpenWriter(ctx_, {.ref = "torn"}));
  EXPECT_EQ(w->GetStatus().offset, 10);
  EXPECT_EQ(w->RunningDigest(), Digest::Of(std::string_view(data).substr(0, 10)));
}

TEST_F(LocalStoreFaultTest, ShortWritesAreCompleted) {
  fault_->CapWrites(777);
  const std::string data = RandomBytes(100000, 4);
  BERTH_ASSERT_OK_AND_ASSIGN(Digest d, WriteBlob(*store_, ctx_, "short", data));
  BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(*store_, ctx_, d));
  EXPECT_TRUE(back == data);
}

// Each commit step failing in turn: the blob is not visible, the ingest keeps every byte, and the
// writer can commit once the fault is gone.
struct CommitFault {
  const char* name;
  FaultFs::Op op;
  const char* path_part;
};

void PrintTo(const CommitFault& f, std::ostream* os) { *os << f.name; }

class CommitFaultTest : public LocalStoreFaultTest,
                        public ::testing::WithParamInterface<CommitFault> {};

TEST_P(CommitFaultTest, FailedCommitStepLeavesNoBlobAndAResumableIngest) {
  const std::string data = RandomBytes(70000, 5);
  const Digest digest = Digest::Of(data);
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w, store_->OpenWriter(ctx_, {.ref = "c"}));
  BERTH_ASSERT_OK(w->Write(data));

  fault_->Fail(GetParam().op, GetParam().path_part, EIO, 1);
  absl::Status s = w->Commit({.size = 70000, .expected = digest});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(fault_->fired(), 1);
  EXPECT_TRUE(MessageHas(s, "commit ref c")) << s;
  EXPECT_TRUE(Blobs().empty());
  EXPECT_EQ(store_->GetInfo(ctx_, digest).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(OffsetOnDisk("c"), 70000);
  EXPECT_EQ(ModeOf(DataPath("c")), 0644u) << "a failed commit must leave the data file writable";

  BERTH_ASSERT_OK(w->Commit({.size = 70000, .expected = digest}));
  BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(*store_, ctx_, digest));
  EXPECT_TRUE(back == data);
}

TEST_P(CommitFaultTest, FailedCommitThenRestartResumesOrAbortsCleanly) {
  const std::string data = RandomBytes(5000, 6);
  {
    BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w, store_->OpenWriter(ctx_, {.ref = "c"}));
    BERTH_ASSERT_OK(w->Write(data));
    fault_->Fail(GetParam().op, GetParam().path_part, EIO, 1);
    EXPECT_FALSE(w->Commit({.size = 5000}).ok());
  }
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_TRUE(Blobs().empty());
  {
    BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w, store_->OpenWriter(ctx_, {.ref = "c"}));
    EXPECT_EQ(w->GetStatus().offset, 5000);
    EXPECT_EQ(w->RunningDigest(), Digest::Of(data));
  }
  BERTH_ASSERT_OK(store_->Abort(ctx_, "c"));
  EXPECT_TRUE(ListNames(fs::path(root_.path()) / "ingest").empty());
  EXPECT_TRUE(Blobs().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Steps, CommitFaultTest,
    ::testing::Values(CommitFault{"fsync_data", FaultFs::Op::kFsync, "/data"},
                      CommitFault{"chmod_data", FaultFs::Op::kChmod, "/data"},
                      CommitFault{"rename_into_blobs", FaultFs::Op::kRename, "blobs/sha256/"},
                      CommitFault{"fsync_blobs_dir", FaultFs::Op::kFsync, "blobs/sha256"}),
    [](const ::testing::TestParamInfo<CommitFault>& info) { return std::string(info.param.name); });

TEST_F(LocalStoreFaultTest, FailureWhileStartingAnIngestLeavesNothing) {
  fault_->Fail(FaultFs::Op::kRename, "/meta", EIO, 1);
  absl::StatusOr<std::unique_ptr<Writer>> w = store_->OpenWriter(ctx_, {.ref = "start"});
  EXPECT_FALSE(w.ok());
  EXPECT_TRUE(MessageHas(w.status(), "ref start")) << w.status();
  EXPECT_TRUE(ListNames(fs::path(root_.path()) / "ingest").empty());
  EXPECT_EQ(store_->GetStatus(ctx_, "start").status().code(), absl::StatusCode::kNotFound);
  // The ref is not left locked.
  BERTH_ASSERT_OK(store_->OpenWriter(ctx_, {.ref = "start"}).status());
}

TEST_F(LocalStoreFaultTest, FailedIngestRemovalAfterCommitIsHarmless) {
  fault_->Fail(FaultFs::Op::kUnlink, "/meta", EIO, 1);
  BERTH_ASSERT_OK_AND_ASSIGN(Digest d, WriteBlob(*store_, ctx_, "leftover", "payload"));
  // The leftover directory (meta without data) is not an ingest, and the next Open removes it.
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<Status> active, store_->ListStatuses(ctx_, {}));
  EXPECT_TRUE(active.empty());
  EXPECT_EQ(ListNames(fs::path(root_.path()) / "ingest").size(), 1u);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_TRUE(ListNames(fs::path(root_.path()) / "ingest").empty());
  BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(*store_, ctx_, d));
  EXPECT_EQ(back, "payload");
}

}  // namespace
}  // namespace berth::content
