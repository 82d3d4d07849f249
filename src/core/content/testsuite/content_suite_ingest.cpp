// The tests of ingests as objects of their own: resuming, locking, aborting, listing, and
// concurrent writers.
#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "core/content/testsuite/content_suite.h"
#include "core/content/testsuite/suite_util.h"

namespace berth::content::testing {
namespace {

std::vector<std::string> Refs(const std::vector<Status>& statuses) {
  std::vector<std::string> refs;
  for (const Status& s : statuses) refs.push_back(s.ref);
  std::sort(refs.begin(), refs.end());
  return refs;
}

}  // namespace

TEST_P(ContentSuite, ResumeAfterWriterIsReleased) {
  const std::string data = RandomBytes(200000, 20);
  const Digest digest = Digest::Of(data);
  {
    BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                               store().OpenWriter(ctx(), {.ref = "resume", .total = 200000}));
    BERTH_ASSERT_OK(w->Write(std::string_view(data).substr(0, 123456)));
  }
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                             store().OpenWriter(ctx(), {.ref = "resume", .total = 200000}));
  Status st = w->GetStatus();
  EXPECT_EQ(st.offset, 123456);
  EXPECT_EQ(st.total, 200000);
  EXPECT_EQ(w->RunningDigest(), Digest::Of(std::string_view(data).substr(0, 123456)));
  BERTH_ASSERT_OK(w->Write(std::string_view(data).substr(123456)));
  BERTH_ASSERT_OK(w->Commit({.size = 200000, .expected = digest}));
  BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(store(), ctx(), digest));
  EXPECT_TRUE(back == data);
}

TEST_P(ContentSuite, IngestsAndBlobsSurviveRestart) {
  const std::string blob = RandomBytes(4096, 21);
  const std::string data = RandomBytes(50000, 22);
  BERTH_ASSERT_OK_AND_ASSIGN(Digest committed, WriteBlob(store(), ctx(), "before-restart", blob));
  {
    BERTH_ASSERT_OK_AND_ASSIGN(
        std::unique_ptr<Writer> w,
        store().OpenWriter(ctx(),
                           {.ref = "survivor", .total = 50000, .expected = Digest::Of(data)}));
    BERTH_ASSERT_OK(w->Write(std::string_view(data).substr(0, 30000)));
  }
  ASSERT_NO_FATAL_FAILURE(Restart());

  BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(store(), ctx(), committed));
  EXPECT_TRUE(back == blob);
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<Status> active, store().ListStatuses(ctx(), {}));
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].ref, "survivor");
  EXPECT_EQ(active[0].offset, 30000);
  EXPECT_EQ(active[0].total, 50000);
  EXPECT_EQ(active[0].expected, Digest::Of(data));

  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                             store().OpenWriter(ctx(), {.ref = "survivor"}));
  EXPECT_EQ(w->GetStatus().offset, 30000);
  EXPECT_EQ(w->GetStatus().total, 50000);
  EXPECT_EQ(w->RunningDigest(), Digest::Of(std::string_view(data).substr(0, 30000)));
  BERTH_ASSERT_OK(w->Write(std::string_view(data).substr(30000)));
  BERTH_ASSERT_OK(w->Commit({.size = 50000, .expected = Digest::Of(data)}));
  BERTH_ASSERT_OK_AND_ASSIGN(back, ReadBlob(store(), ctx(), Digest::Of(data)));
  EXPECT_TRUE(back == data);
}

TEST_P(ContentSuite, BusyRefIsUnavailableUntilWriterIsReleased) {
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w, store().OpenWriter(ctx(), {.ref = "busy"}));
  BERTH_ASSERT_OK(w->Write("12345"));
  absl::StatusOr<std::unique_ptr<Writer>> second = store().OpenWriter(ctx(), {.ref = "busy"});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  EXPECT_TRUE(MessageHas(second.status(), "busy")) << second.status();
  absl::Status abort = store().Abort(ctx(), "busy");
  EXPECT_EQ(abort.code(), absl::StatusCode::kUnavailable) << abort;
  // A failed commit keeps the ref held by the same writer.
  EXPECT_EQ(w->Commit({.size = 99}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store().OpenWriter(ctx(), {.ref = "busy"}).status().code(),
            absl::StatusCode::kUnavailable);
  // Another ref is not affected.
  BERTH_ASSERT_OK(store().OpenWriter(ctx(), {.ref = "other"}).status());

  w.reset();
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w2,
                             store().OpenWriter(ctx(), {.ref = "busy"}));
  EXPECT_EQ(w2->GetStatus().offset, 5);
}

TEST_P(ContentSuite, AbortRemovesIngest) {
  {
    BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                               store().OpenWriter(ctx(), {.ref = "abort-me"}));
    BERTH_ASSERT_OK(w->Write("partial"));
  }
  BERTH_ASSERT_OK(store().Abort(ctx(), "abort-me"));
  EXPECT_EQ(store().GetStatus(ctx(), "abort-me").status().code(), absl::StatusCode::kNotFound);
  absl::Status again = store().Abort(ctx(), "abort-me");
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound) << again;
  EXPECT_EQ(store().Abort(ctx(), "never-started").code(), absl::StatusCode::kNotFound);
  BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                             store().OpenWriter(ctx(), {.ref = "abort-me"}));
  EXPECT_EQ(w->GetStatus().offset, 0);
  EXPECT_EQ(w->RunningDigest(), Digest::Of(""));
  EXPECT_EQ(store().GetInfo(ctx(), Digest::Of("partial")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(ContentSuite, StatusListsEveryIngest) {
  std::vector<std::unique_ptr<Writer>> writers;
  for (int i = 0; i < 3; ++i) {
    BERTH_ASSERT_OK_AND_ASSIGN(
        std::unique_ptr<Writer> w,
        store().OpenWriter(ctx(), {.ref = fmt::format("list-{}", i), .total = 100 * (i + 1)}));
    BERTH_ASSERT_OK(w->Write(std::string(10 * (i + 1), 'x')));
    writers.push_back(std::move(w));
  }
  writers.pop_back();  // a released ingest is still listed
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<Status> active, store().ListStatuses(ctx(), {}));
  EXPECT_EQ(Refs(active), (std::vector<std::string>{"list-0", "list-1", "list-2"}));
  for (const Status& s : active) {
    int i = s.ref.back() - '0';
    EXPECT_EQ(s.offset, 10 * (i + 1)) << s.ref;
    EXPECT_EQ(s.total, 100 * (i + 1)) << s.ref;
    EXPECT_GE(s.updated_at, s.started_at - absl::Seconds(1)) << s.ref;
  }
  BERTH_ASSERT_OK_AND_ASSIGN(Status one, store().GetStatus(ctx(), "list-1"));
  EXPECT_EQ(one.ref, "list-1");
  EXPECT_EQ(one.offset, 20);
  EXPECT_EQ(store().GetStatus(ctx(), "list-9").status().code(), absl::StatusCode::kNotFound);

  if (GetParam().filters) {
    BERTH_ASSERT_OK_AND_ASSIGN(std::vector<Status> filtered,
                               store().ListStatuses(ctx(), {"ref==list-1"}));
    EXPECT_EQ(Refs(filtered), std::vector<std::string>{"list-1"});
    BERTH_ASSERT_OK_AND_ASSIGN(filtered,
                               store().ListStatuses(ctx(), {"ref==list-0", "ref==list-2"}));
    EXPECT_EQ(Refs(filtered), (std::vector<std::string>{"list-0", "list-2"}));
  }
}

TEST_P(ContentSuite, RefsAreOpaqueStrings) {
  const std::vector<std::string> refs = {
      "a/b/../../c",       "..",     "with\nnewline and spaces", std::string(1000, 'r'),
      "layer-sha256:0123", "ünïcødé"};
  for (size_t i = 0; i < refs.size(); ++i) {
    BERTH_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Writer> w,
                               store().OpenWriter(ctx(), {.ref = refs[i]}));
    BERTH_ASSERT_OK(w->Write(std::string(i + 1, 'z')));
  }
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<Status> active, store().ListStatuses(ctx(), {}));
  std::vector<std::string> want = refs;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(Refs(active), want);
  for (size_t i = 0; i < refs.size(); ++i) {
    BERTH_ASSERT_OK_AND_ASSIGN(Status st, store().GetStatus(ctx(), refs[i]));
    EXPECT_EQ(st.ref, refs[i]);
    EXPECT_EQ(st.offset, static_cast<int64_t>(i + 1));
    BERTH_EXPECT_OK(store().Abort(ctx(), refs[i]));
  }
}

TEST_P(ContentSuite, ConcurrentWritersOnDistinctRefs) {
  constexpr int kThreads = 8;
  std::vector<std::string> blobs;
  for (int i = 0; i < kThreads; ++i) blobs.push_back(RandomBytes(512 * 1024 + i, 100 + i));
  std::vector<absl::Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      results[i] =
          WriteBlob(store(), ctx(), fmt::format("parallel-{}", i), blobs[i], {}, 7919).status();
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    BERTH_EXPECT_OK(results[i]);
    BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(store(), ctx(), Digest::Of(blobs[i])));
    EXPECT_TRUE(back == blobs[i]) << i;
  }
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<Status> active, store().ListStatuses(ctx(), {}));
  EXPECT_TRUE(active.empty());
}

TEST_P(ContentSuite, ConcurrentCommitsOfSameContentYieldOneBlob) {
  constexpr int kThreads = 6;
  const std::string data = RandomBytes(256 * 1024, 200);
  std::atomic<int> ready = 0;
  std::vector<absl::Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto w = store().OpenWriter(ctx(), {.ref = fmt::format("same-{}", i)});
      if (!w.ok()) {
        results[i] = w.status();
        ++ready;
        return;
      }
      results[i] = (*w)->Write(data);
      ++ready;
      while (ready.load() < kThreads) std::this_thread::yield();
      if (results[i].ok()) results[i] = (*w)->Commit({.size = static_cast<int64_t>(data.size())});
    });
  }
  for (std::thread& t : threads) t.join();
  int committed = 0;
  for (const absl::Status& s : results) {
    if (s.ok()) {
      ++committed;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
    }
  }
  EXPECT_EQ(committed, 1);
  BERTH_ASSERT_OK_AND_ASSIGN(std::string back, ReadBlob(store(), ctx(), Digest::Of(data)));
  EXPECT_TRUE(back == data);
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<Status> active, store().ListStatuses(ctx(), {}));
  EXPECT_TRUE(active.empty()) << active.size() << " ingests left";
}

}  // namespace berth::content::testing
