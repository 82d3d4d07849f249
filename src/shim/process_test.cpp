#include "shim/process.h"

#include <gtest/gtest.h>

#include <future>

namespace berth::shim {
namespace {

TEST(ProcessTest, LifecycleAndIllegalTransitions) {
  Process p("c1", "", {});
  EXPECT_TRUE(absl::IsFailedPrecondition(p.MarkStarted()));  // not created yet
  ASSERT_TRUE(p.MarkCreated(10).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(p.MarkCreated(11)));
  EXPECT_TRUE(absl::IsFailedPrecondition(p.MarkPaused(true)));  // created, not running
  ASSERT_TRUE(p.MarkStarted().ok());
  ASSERT_TRUE(p.MarkPaused(true).ok());
  EXPECT_EQ(p.status(), TaskStatus::kPaused);
  ASSERT_TRUE(p.MarkPaused(false).ok());
  EXPECT_TRUE(p.MarkExited(7, {.seconds = 5}));
  EXPECT_FALSE(p.MarkExited(9, {.seconds = 6}));  // the first exit wins
  EXPECT_EQ(p.exit_status(), 7u);
  EXPECT_EQ(p.State().status, TaskStatus::kStopped);
}

TEST(ProcessTest, ExitBeforeStartReturnsLeavesItStopped) {
  Process p("c1", "e1", {});
  ASSERT_TRUE(p.MarkCreated(10).ok());
  p.MarkExited(0, Timestamp::Now());
  EXPECT_TRUE(p.MarkStarted().ok());
  EXPECT_EQ(p.status(), TaskStatus::kStopped);
}

TEST(ProcessTest, ExitsAreHeldUntilTheStartIsPublished) {
  Process p("c1", "e1", {});
  // A new process holds its exit until its create/start has been published.
  EXPECT_TRUE(p.HoldExit(0, {.seconds = 3}));
  auto held = p.EndStart();
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(held->at.seconds, 3);
  EXPECT_FALSE(p.EndStart().has_value());  // handed over once
  EXPECT_FALSE(p.HoldExit(0, {}));         // reported at once from now on
  // The init's Start holds exits again, and only one start is under way at a time.
  ASSERT_TRUE(p.BeginStart().ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(p.BeginStart()));
  EXPECT_TRUE(p.HoldExit(137, {}));
  EXPECT_EQ(p.EndStart()->wait_status, 137);
}

TEST(ProcessTest, WaitBlocksUntilExitOrDeadline) {
  Process p("c1", "", {});
  ASSERT_TRUE(p.MarkCreated(10).ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  EXPECT_TRUE(absl::IsDeadlineExceeded(p.Wait(deadline)));
  auto waiter = std::async(std::launch::async, [&] { return p.Wait(std::nullopt); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  p.MarkExited(137, Timestamp::Now());
  EXPECT_TRUE(waiter.get().ok());
  Process q("c2", "", {});
  auto aborted = std::async(std::launch::async, [&] { return q.Wait(std::nullopt); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  q.Abort();
  EXPECT_TRUE(absl::IsUnavailable(aborted.get()));
}

}  // namespace
}  // namespace berth::shim
