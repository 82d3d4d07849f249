#include "shim/stats_v2.h"

#include <gtest/gtest.h>

#include <map>

#include "ttrpc/protowire.h"

namespace berth::shim {
namespace {

// field number → varint value of one sub-message of the Metrics.
std::map<uint32_t, uint64_t> Fields(const std::string& metrics, uint32_t sub) {
  std::map<uint32_t, uint64_t> out;
  protowire::Reader r(metrics);
  while (r.Next()) {
    if (r.field() != sub) continue;
    protowire::Reader m(r.bytes());
    while (m.Next()) out[m.field()] = m.varint();
  }
  return out;
}

TEST(StatsV2Test, ConvertsRuncStatsAndMemoryEventsToCgroupsV2Metrics) {
  auto any = MetricsV2FromRuncStats(
      R"({"type":"stats","id":"c","data":{"cpu":{"usage":{"total":5000000,"kernel":1000000,"user":4000000},)"
      R"("throttling":{"periods":7,"throttledPeriods":2,"throttledTime":3000}},)"
      R"("memory":{"usage":{"limit":1048576,"usage":524288},"swap":{"limit":2097152,"usage":600000},)"
      R"("raw":{"anon":4096,"file":8192,"pgfault":11,"thp_collapse_alloc":1}},)"
      R"("pids":{"current":3,"limit":64}}})",
      "low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n");
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_EQ(any->type_url, "io.containerd.cgroups.v2.Metrics");
  auto pids = Fields(any->value, 1);
  EXPECT_EQ(pids[1], 3u);
  EXPECT_EQ(pids[2], 64u);
  auto cpu = Fields(any->value, 2);
  EXPECT_EQ(cpu[1], 5000u);  // microseconds
  EXPECT_EQ(cpu[2], 4000u);
  EXPECT_EQ(cpu[3], 1000u);
  EXPECT_EQ(cpu[4], 7u);
  EXPECT_EQ(cpu[5], 2u);
  EXPECT_EQ(cpu[6], 3u);
  auto memory = Fields(any->value, 4);
  EXPECT_EQ(memory[1], 4096u);
  EXPECT_EQ(memory[2], 8192u);
  EXPECT_EQ(memory[18], 11u);
  EXPECT_EQ(memory[31], 1u);
  EXPECT_EQ(memory[32], 524288u);
  EXPECT_EQ(memory[33], 1048576u);
  EXPECT_EQ(memory[34], 600000u - 524288u);  // swap alone, not memory+swap as runc reports it
  EXPECT_EQ(memory[35], 2097152u - 1048576u);
  auto events = Fields(any->value, 8);
  EXPECT_EQ(events[3], 4u);
  EXPECT_EQ(events[4], 2u);
  EXPECT_EQ(events[5], 1u);
}

TEST(StatsV2Test, UnlimitedSwapStaysUnlimitedAndNoEventsMeansNoField) {
  auto any = MetricsV2FromRuncStats(
      R"({"data":{"memory":{"usage":{"limit":18446744073709551615,"usage":100},)"
      R"("swap":{"limit":18446744073709551615,"usage":100}}}})",
      "");
  ASSERT_TRUE(any.ok()) << any.status();
  auto memory = Fields(any->value, 4);
  EXPECT_EQ(memory[35], UINT64_MAX);
  EXPECT_EQ(memory[34], 0u);
  EXPECT_TRUE(Fields(any->value, 8).empty());
  EXPECT_FALSE(MetricsV2FromRuncStats("[1]", "").ok());
}

}  // namespace
}  // namespace berth::shim
