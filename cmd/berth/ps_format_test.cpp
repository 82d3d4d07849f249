#include "ps_format.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

TEST(HumanDurationTest, WordsAsGoUnits) {
  EXPECT_EQ(HumanDuration(absl::Milliseconds(300)), "Less than a second");
  EXPECT_EQ(HumanDuration(absl::Seconds(1)), "1 second");
  EXPECT_EQ(HumanDuration(absl::Seconds(59)), "59 seconds");
  EXPECT_EQ(HumanDuration(absl::Seconds(90)), "About a minute");
  EXPECT_EQ(HumanDuration(absl::Minutes(5)), "5 minutes");
  EXPECT_EQ(HumanDuration(absl::Minutes(59)), "59 minutes");
  EXPECT_EQ(HumanDuration(absl::Minutes(80)), "About an hour");
  EXPECT_EQ(HumanDuration(absl::Hours(3)), "3 hours");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 4)), "4 days");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 15)), "2 weeks");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 100)), "3 months");
  EXPECT_EQ(HumanDuration(absl::Hours(24 * 800)), "2 years");
}

TEST(StatusTextTest, EveryState) {
  EXPECT_EQ(StatusText({}, kNow), "Created");
  EXPECT_EQ(StatusText({.present = true, .status = "created"}, kNow), "Created");
  EXPECT_EQ(StatusText({.present = true, .status = "running", .started_at = kNow - absl::Minutes(3)}, kNow),
            "Up 3 minutes");
  EXPECT_EQ(StatusText({.present = true, .status = "running"}, kNow), "Up");
  EXPECT_EQ(StatusText({.present = true, .status = "paused", .started_at = kNow - absl::Seconds(5)}, kNow),
            "Up 5 seconds (Paused)");
  EXPECT_EQ(StatusText({.present = true, .status = "pausing"}, kNow), "Pausing");
  EXPECT_EQ(StatusText({.present = true, .status = "unknown"}, kNow), "Unknown");
}

TEST(StatusTextTest, ExitedWithCodeAgeAndReason) {
  TaskView exited{.present = true, .status = "stopped", .exit_code = 0, .exited_at = kNow - absl::Minutes(2),
                  .reason = "exited"};
  EXPECT_EQ(StatusText(exited, kNow), "Exited (0) 2 minutes ago");
  TaskView oom{.present = true, .status = "stopped", .exit_code = 137, .exited_at = kNow - absl::Seconds(1),
               .reason = "OOM killed"};
  EXPECT_EQ(StatusText(oom, kNow), "Exited (137) 1 second ago, OOM killed");
  TaskView killed = oom;
  killed.reason = "killed by SIGKILL";
  EXPECT_EQ(StatusText(killed, kNow), "Exited (137) 1 second ago, killed by SIGKILL");
  // tasks.v1 (containerd): no reason and, for a task that never ran, no exit time.
  EXPECT_EQ(StatusText({.present = true, .status = "stopped", .exit_code = 3}, kNow), "Exited (3)");
}

TEST(CommandTextTest, QuotedAndCut) {
  EXPECT_EQ(CommandText({"sleep", "1000"}), "\"sleep 1000\"");
  EXPECT_EQ(CommandText({"sh", "-c", "while true; do sleep 1; done"}), "\"sh -c while true;...\"");
  EXPECT_EQ(CommandText({}), "\"\"");
  // A cut never splits a UTF-8 character.
  EXPECT_EQ(CommandText({"echo", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"}, 10), "\"echo \xc3\xa9...\"");
}

TEST(FormatTableTest, ColumnsAsWideAsTheirWidestCell) {
  EXPECT_EQ(FormatTable({{"ID", "IMAGE"}, {"abcdef", "x"}}), "ID       IMAGE\nabcdef   x\n");
}

}  // namespace
}  // namespace berth::cli
