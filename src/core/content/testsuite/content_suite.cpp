// The fixture, and the tests of writing, committing and reading blobs.
#include "core/content/testsuite/content_suite.h"

#include <stdlib.h>

#include <filesystem>
#include <map>

#include "core/content/testsuite/suite_util.h"

namespace berth::content::testing {
namespace {

using ::testing::IsEmpty;

// Timestamps may come from a file system's coarse clock; allow that much disagreement with
// absl::Now().
constexpr absl::Duration kClockSlack = absl::Seconds(1);

}  // namespace

void PrintTo(const ContentSuiteParam& param, std::ostream* os) { *os << param.name; }

std::string ContentSuiteName(const ::testing::TestParamInfo<ContentSuiteParam>& info) {
  return info.param.name;
}

void ContentSuite::SetUp() {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string pattern =
      (std::filesystem::path(tmp != nullptr ? tmp : "/tmp") / "berth-content-suite-XXXXXX")
          .string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "mkdtemp " << pattern;
  root_ = pattern;
  absl::StatusOr<ContentSuiteFixture> f = GetParam().open(root_);
  ASSERT_TRUE(f.ok()) << "open store: " << f.status();
  fixture_ = std::move(*f);
}

void ContentSuite::TearDown() {
  fixture_ = ContentSuiteFixture{};
  std::error_code ec;
  if (!root_.empty()) std::filesystem::remove_all(root_, ec);
}

void ContentSuite::Restart() {
  fixture_ = ContentSuiteFixture{};
  absl::StatusOr<ContentSuiteFixture> f = GetParam().open(root_);
  ASSERT_TRUE(f.ok()) << "reopen store: " << f.status();
  fixture_ = std::move(*f);
}

TEST_P(ContentSuite, WriteCommitReadBack) {
  const std::string data = RandomBytes(300 << 10, 1);
  const Digest digest = Digest::Of(data);
  const absl::Time before = absl::Now();
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                             store().OpenWriter(ctx(), {.ref = "write-1",
                                                        .total = static_cast<int64_t>(data.size()),
                                                        .expected = digest}));
  const absl::Time after_open = absl::Now();
  Status st = w->GetStatus();
  EXPECT_EQ(st.ref, "write-1");
  EXPECT_EQ(st.offset, 0);
  EXPECT_EQ(st.total, static_cast<int64_t>(data.size()));
  EXPECT_EQ(st.expected, digest);
  EXPECT_GE(st.started_at, before - kClockSlack);
  EXPECT_LE(st.started_at, after_open + kClockSlack);
  EXPECT_EQ(w->RunningDigest(), Digest::Of(""));

  size_t written = 0;
  for (size_t chunk : {1, 4095, 65536, 100000}) {
    BERTH_ASSERT_OK(w->Write(std::string_view(data).substr(written, chunk)));
    written += chunk;
    EXPECT_EQ(w->GetStatus().offset, static_cast<int64_t>(written));
    EXPECT_EQ(w->RunningDigest(), Digest::Of(std::string_view(data).substr(0, written)));
  }
  BERTH_ASSERT_OK(w->Write(std::string_view(data).substr(written)));
  EXPECT_GE(w->GetStatus().updated_at, w->GetStatus().started_at);
  EXPECT_EQ(w->RunningDigest(), digest);

  // While the ingest is open it is listed with its progress; the blob is not visible yet.
  BERTH_ASSERT_OK_AND_ASSIGN(Status on_disk, store().GetStatus(ctx(), "write-1"));
  EXPECT_EQ(on_disk.offset, static_cast<int64_t>(data.size()));
  EXPECT_EQ(store().GetInfo(ctx(), digest).status().code(), absl::StatusCode::kNotFound);

  const absl::Time before_commit = absl::Now();
  BERTH_ASSERT_OK(w->Commit({.size = static_cast<int64_t>(data.size()), .expected = digest}));
  const absl::Time after_commit = absl::Now();

  BERTH_ASSERT_OK_AND_ASSIGN(Info info, store().GetInfo(ctx(), digest));
  EXPECT_EQ(info.digest, digest);
  EXPECT_EQ(info.size, static_cast<int64_t>(data.size()));
  EXPECT_GE(info.created_at, before_commit - kClockSlack);
  EXPECT_LE(info.created_at, after_commit + kClockSlack);
  BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(store(), ctx(), digest));
  EXPECT_TRUE(back == data);
  // The ingest is gone once committed.
  EXPECT_EQ(store().GetStatus(ctx(), "write-1").status().code(), absl::StatusCode::kNotFound);
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<Status> active, store().ListStatuses(ctx(), {}));
  EXPECT_THAT(active, IsEmpty());
}

TEST_P(ContentSuite, CommitWithoutChecksStoresUnderComputedDigest) {
  const std::string data = RandomBytes(1000, 2);
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                             store().OpenWriter(ctx(), {.ref = "nochecks"}));
  BERTH_ASSERT_OK(w->Write(data));
  BERTH_ASSERT_OK(w->Commit({}));
  BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(store(), ctx(), Digest::Of(data)));
  EXPECT_TRUE(back == data);
}

TEST_P(ContentSuite, EmptyBlob) {
  BERTH_ASSERT_OK_AND_ASSIGN(Digest d, WriteBlob(store(), ctx(), "empty", ""));
  EXPECT_EQ(d, Digest::Of(""));
  BERTH_ASSERT_OK_AND_ASSIGN(Info info, store().GetInfo(ctx(), d));
  EXPECT_EQ(info.size, 0);
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Reader> r, store().OpenReader(ctx(), d));
  EXPECT_EQ(r->Size(), 0);
  char buf[8];
  BERTH_ASSERT_OK_AND_ASSIGN(size_t n, r->ReadAt(0, buf));
  EXPECT_EQ(n, 0u);
}

TEST_P(ContentSuite, SizeMismatchKeepsIngest) {
  const std::string data = RandomBytes(5000, 3);
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w, store().OpenWriter(ctx(), {.ref = "size"}));
  BERTH_ASSERT_OK(w->Write(std::string_view(data).substr(0, 4000)));
  absl::Status s = w->Commit({.size = 5000});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(MessageHas(s, "unexpected commit size 4000, expected 5000")) << s;
  EXPECT_EQ(store().GetInfo(ctx(), Digest::Of(data.substr(0, 4000))).status().code(),
            absl::StatusCode::kNotFound);
  BERTH_ASSERT_OK_AND_ASSIGN(Status st, store().GetStatus(ctx(), "size"));
  EXPECT_EQ(st.offset, 4000);

  // The writer is still usable: send the rest and commit.
  BERTH_ASSERT_OK(w->Write(std::string_view(data).substr(4000)));
  BERTH_ASSERT_OK(w->Commit({.size = 5000, .expected = Digest::Of(data)}));
  BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(store(), ctx(), Digest::Of(data)));
  EXPECT_TRUE(back == data);
}

TEST_P(ContentSuite, DigestMismatchKeepsIngestAndNamesBothDigests) {
  const std::string data = RandomBytes(2048, 4);
  const Digest wrong = Digest::Of("something else");
  {
    BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                               store().OpenWriter(ctx(), {.ref = "digest"}));
    BERTH_ASSERT_OK(w->Write(data));
    absl::Status s = w->Commit({.size = 2048, .expected = wrong});
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    EXPECT_TRUE(MessageHas(s, fmt::format("unexpected commit digest {}, expected {}",
                                          Digest::Of(data).str(), wrong.str())))
        << s;
  }
  EXPECT_EQ(store().GetInfo(ctx(), Digest::Of(data)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store().GetInfo(ctx(), wrong).status().code(), absl::StatusCode::kNotFound);
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<Status> active, store().ListStatuses(ctx(), {}));
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].ref, "digest");
  EXPECT_EQ(active[0].offset, 2048);

  // A new writer on the ref resumes with everything written and can commit it.
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                             store().OpenWriter(ctx(), {.ref = "digest"}));
  EXPECT_EQ(w->GetStatus().offset, 2048);
  EXPECT_EQ(w->RunningDigest(), Digest::Of(data));
  BERTH_ASSERT_OK(w->Commit({.size = 2048, .expected = Digest::Of(data)}));
}

TEST_P(ContentSuite, CommitOfStoredContentIsAlreadyExistsAndDropsIngest) {
  const std::string data = RandomBytes(700, 5);
  BERTH_ASSERT_OK_AND_ASSIGN(Digest d, WriteBlob(store(), ctx(), "first", data));
  for (bool with_digest : {true, false}) {
    BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                               store().OpenWriter(ctx(), {.ref = "second"}));
    BERTH_ASSERT_OK(w->Write(data));
    CommitOptions opts{.size = 700};
    if (with_digest) opts.expected = d;
    absl::Status s = w->Commit(opts);
    EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
    EXPECT_TRUE(MessageHas(s, d.str())) << s;
    EXPECT_EQ(store().GetStatus(ctx(), "second").status().code(), absl::StatusCode::kNotFound);
    // The ref is free again at once, and starts from nothing.
    BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> again,
                               store().OpenWriter(ctx(), {.ref = "second"}));
    EXPECT_EQ(again->GetStatus().offset, 0);
  }
  BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(store(), ctx(), d));
  EXPECT_TRUE(back == data);
}

TEST_P(ContentSuite, OpenWriterExpectingStoredContentIsAlreadyExists) {
  BERTH_ASSERT_OK_AND_ASSIGN(Digest d, WriteBlob(store(), ctx(), "present", "hello"));
  absl::StatusOr<std::unique_ptr<Writer>> w =
      store().OpenWriter(ctx(), {.ref = "again", .total = 5, .expected = d});
  EXPECT_EQ(w.status().code(), absl::StatusCode::kAlreadyExists) << w.status();
  EXPECT_EQ(store().GetStatus(ctx(), "again").status().code(), absl::StatusCode::kNotFound);
  // The refusal does not leave the ref locked.
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w2,
                             store().OpenWriter(ctx(), {.ref = "again"}));
}

TEST_P(ContentSuite, WriterIsSpentAfterCommit) {
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                             store().OpenWriter(ctx(), {.ref = "spent"}));
  BERTH_ASSERT_OK(w->Write("abc"));
  BERTH_ASSERT_OK(w->Commit({.size = 3}));
  EXPECT_EQ(w->Write("more").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(w->Commit({}).ok());
  // The old writer object still exists, but the ref is free.
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> next,
                             store().OpenWriter(ctx(), {.ref = "spent"}));
  EXPECT_EQ(next->GetStatus().offset, 0);
  BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(store(), ctx(), Digest::Of("abc")));
  EXPECT_EQ(back, "abc");
}

TEST_P(ContentSuite, TruncateRestartsIngest) {
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                             store().OpenWriter(ctx(), {.ref = "trunc"}));
  BERTH_ASSERT_OK(w->Write("wrong bytes"));
  BERTH_ASSERT_OK(w->Truncate());
  EXPECT_EQ(w->GetStatus().offset, 0);
  EXPECT_EQ(w->RunningDigest(), Digest::Of(""));
  BERTH_ASSERT_OK_AND_ASSIGN(Status st, store().GetStatus(ctx(), "trunc"));
  EXPECT_EQ(st.offset, 0);
  BERTH_ASSERT_OK(w->Write("right"));
  BERTH_ASSERT_OK(w->Commit({.size = 5, .expected = Digest::Of("right")}));
  BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(store(), ctx(), Digest::Of("right")));
  EXPECT_EQ(back, "right");
}

TEST_P(ContentSuite, ReaderReadsAtOffsets) {
  const std::string data = RandomBytes(10000, 6);
  BERTH_ASSERT_OK_AND_ASSIGN(Digest d, WriteBlob(store(), ctx(), "reader", data));
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Reader> r, store().OpenReader(ctx(), d));
  EXPECT_EQ(r->Size(), 10000);
  std::string buf(1000, '\0');
  for (int64_t offset : {0, 1, 4096, 8999, 9000}) {
    BERTH_ASSERT_OK_AND_ASSIGN(size_t n, r->ReadAt(offset, buf));
    ASSERT_EQ(n, 1000u) << offset;
    EXPECT_TRUE(buf == data.substr(offset, 1000)) << offset;
  }
  BERTH_ASSERT_OK_AND_ASSIGN(size_t tail, r->ReadAt(9500, buf));
  EXPECT_EQ(tail, 500u);
  EXPECT_TRUE(buf.substr(0, 500) == data.substr(9500));
  BERTH_ASSERT_OK_AND_ASSIGN(size_t end, r->ReadAt(10000, buf));
  EXPECT_EQ(end, 0u);
  BERTH_ASSERT_OK_AND_ASSIGN(size_t past, r->ReadAt(20000, buf));
  EXPECT_EQ(past, 0u);
  EXPECT_FALSE(r->ReadAt(-1, buf).ok());
}

TEST_P(ContentSuite, DeleteRemovesBlob) {
  BERTH_ASSERT_OK_AND_ASSIGN(Digest keep, WriteBlob(store(), ctx(), "keep", "keep me"));
  BERTH_ASSERT_OK_AND_ASSIGN(Digest d, WriteBlob(store(), ctx(), "doomed", "delete me"));
  BERTH_ASSERT_OK(store().Delete(ctx(), d));
  EXPECT_EQ(store().GetInfo(ctx(), d).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store().OpenReader(ctx(), d).status().code(), absl::StatusCode::kNotFound);
  absl::Status again = store().Delete(ctx(), d);
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound) << again;
  BERTH_EXPECT_OK(store().GetInfo(ctx(), keep).status());
  // Deleted content can be written again.
  BERTH_ASSERT_OK(WriteBlob(store(), ctx(), "doomed", "delete me").status());
  BERTH_EXPECT_OK(store().GetInfo(ctx(), d).status());
}

TEST_P(ContentSuite, NotFoundErrorsNameTheDigest) {
  const Digest missing = Digest::Of("never written");
  for (absl::Status s :
       {store().GetInfo(ctx(), missing).status(), store().OpenReader(ctx(), missing).status(),
        store().Delete(ctx(), missing)}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
    EXPECT_TRUE(MessageHas(s, missing.str())) << s;
  }
}

TEST_P(ContentSuite, WalkVisitsEveryBlobAndStopsOnError) {
  std::map<Digest, int64_t> want;
  for (int i = 0; i < 5; ++i) {
    std::string data = RandomBytes(100 + i, 10 + i);
    BERTH_ASSERT_OK_AND_ASSIGN(Digest d,
                               WriteBlob(store(), ctx(), fmt::format("walk-{}", i), data));
    want[d] = static_cast<int64_t>(data.size());
  }
  // An unfinished ingest is not a blob.
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                             store().OpenWriter(ctx(), {.ref = "walk-open"}));
  BERTH_ASSERT_OK(w->Write("pending"));

  std::map<Digest, int64_t> seen;
  BERTH_ASSERT_OK(store().Walk(ctx(), {}, [&](const Info& info) {
    EXPECT_TRUE(seen.emplace(info.digest, info.size).second)
        << "visited twice: " << info.digest.str();
    return absl::OkStatus();
  }));
  EXPECT_EQ(seen, want);

  int calls = 0;
  absl::Status s = store().Walk(ctx(), {}, [&](const Info&) {
    ++calls;
    return absl::CancelledError("stop here");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  EXPECT_EQ(calls, 1);

  if (GetParam().filters) {
    const Digest one = want.begin()->first;
    std::vector<Digest> filtered;
    BERTH_ASSERT_OK(
        store().Walk(ctx(), {fmt::format("digest=={}", one.str())}, [&](const Info& info) {
          filtered.push_back(info.digest);
          return absl::OkStatus();
        }));
    EXPECT_EQ(filtered, std::vector<Digest>{one});
  }
}

TEST_P(ContentSuite, EmptyRefIsInvalid) {
  EXPECT_EQ(store().OpenWriter(ctx(), {.ref = ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(ContentSuite, LabelsFromCommitAndUpdate) {
  if (!GetParam().labels) GTEST_SKIP() << "store does not keep labels";
  BERTH_ASSERT_OK_AND_ASSIGN(
      Digest d, WriteBlob(store(), ctx(), "labelled", "labelled", {{"a", "1"}, {"b", "2"}}));
  BERTH_ASSERT_OK_AND_ASSIGN(Info info, store().GetInfo(ctx(), d));
  EXPECT_EQ(info.labels, (Labels{{"a", "1"}, {"b", "2"}}));

  // One label by path; "" deletes.
  BERTH_ASSERT_OK_AND_ASSIGN(
      info,
      store().Update(ctx(), {.digest = d, .labels = {{"a", "changed"}, {"b", ""}}}, {"labels.a"}));
  EXPECT_EQ(info.labels, (Labels{{"a", "changed"}, {"b", "2"}}));
  BERTH_ASSERT_OK_AND_ASSIGN(info,
                             store().Update(ctx(), {.digest = d, .labels = {}}, {"labels.b"}));
  EXPECT_EQ(info.labels, (Labels{{"a", "changed"}}));
  // No paths: replace all.
  BERTH_ASSERT_OK_AND_ASSIGN(info,
                             store().Update(ctx(), {.digest = d, .labels = {{"c", "3"}}}, {}));
  EXPECT_EQ(info.labels, (Labels{{"c", "3"}}));
  BERTH_ASSERT_OK_AND_ASSIGN(info, store().GetInfo(ctx(), d));
  EXPECT_EQ(info.labels, (Labels{{"c", "3"}}));

  absl::StatusOr<Info> missing = store().Update(ctx(), {.digest = Digest::Of("nope")}, {});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
}

}  // namespace berth::content::testing
