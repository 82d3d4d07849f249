// The text format, byte for byte: what Prometheus' parser and promtool accept.
#include "metrics/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "metrics/registry.h"

namespace berth::metrics {
namespace {

TEST(ExpositionTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue(R"(a\b"c)"
                             "\nd"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(EscapeHelp(R"(a\b"c)"
                       "\nd"),
            R"(a\\b"c\nd)");  // quotes stay in HELP
  EXPECT_EQ(EscapeLabelValue("plain/ünïcode:1"), "plain/ünïcode:1");
}

TEST(ExpositionTest, FormatsValuesAsPrometheusParsesThem) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(1), "1");
  EXPECT_EQ(FormatValue(0.005), "0.005");
  EXPECT_EQ(FormatValue(-2.5), "-2.5");
  EXPECT_EQ(FormatValue(1e21), "1e+21");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(ExpositionTest, ValidatesNames) {
  EXPECT_TRUE(IsValidMetricName("berth_pull_duration_seconds"));
  EXPECT_TRUE(IsValidMetricName("job:rate5m"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_FALSE(IsValidMetricName("1abc"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_TRUE(IsValidLabelName("reason"));
  EXPECT_FALSE(IsValidLabelName("__name__"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("0a"));
}

TEST(ExpositionTest, RendersCountersAndGaugesWithLabelsExactly) {
  Registry r;
  r.AddCounter("b_bytes_total", "Bytes.")->Inc(42);
  auto* retries = r.AddCounterFamily("a_retries_total", "Retries by reason.\nSecond line \\.", {"reason", "host"});
  retries->With({"reset", "r1"})->Inc();
  retries->With({"reset", "r1"})->Inc(2);
  retries->With({"quote\"back\\slash\nnl", "r0"})->Inc();
  r.AddGauge("c_in_flight", "In flight.")->Set(-1.5);

  EXPECT_EQ(r.Render(),
            "# HELP a_retries_total Retries by reason.\\nSecond line \\\\.\n"
            "# TYPE a_retries_total counter\n"
            "a_retries_total{reason=\"quote\\\"back\\\\slash\\nnl\",host=\"r0\"} 1\n"
            "a_retries_total{reason=\"reset\",host=\"r1\"} 3\n"
            "# HELP b_bytes_total Bytes.\n"
            "# TYPE b_bytes_total counter\n"
            "b_bytes_total 42\n"
            "# HELP c_in_flight In flight.\n"
            "# TYPE c_in_flight gauge\n"
            "c_in_flight -1.5\n");
}

TEST(ExpositionTest, RendersHistogramsWithCumulativeBucketsSumAndCount) {
  Registry r;
  auto* h = r.AddHistogramFamily("d_seconds", "Durations.", {"method"}, {0.25, 1, 2.5});
  Histogram* info = h->With({"/x.Content/Info"});
  info->Observe(0.125);
  info->Observe(0.25);  // on the bound: le is inclusive
  info->Observe(2);
  info->Observe(32);
  r.AddHistogram("e_bytes", "Sizes.", {1024})->Observe(1);

  EXPECT_EQ(r.Render(),
            "# HELP d_seconds Durations.\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{method=\"/x.Content/Info\",le=\"0.25\"} 2\n"
            "d_seconds_bucket{method=\"/x.Content/Info\",le=\"1\"} 2\n"
            "d_seconds_bucket{method=\"/x.Content/Info\",le=\"2.5\"} 3\n"
            "d_seconds_bucket{method=\"/x.Content/Info\",le=\"+Inf\"} 4\n"
            "d_seconds_sum{method=\"/x.Content/Info\"} 34.375\n"
            "d_seconds_count{method=\"/x.Content/Info\"} 4\n"
            "# HELP e_bytes Sizes.\n"
            "# TYPE e_bytes histogram\n"
            "e_bytes_bucket{le=\"1024\"} 1\n"
            "e_bytes_bucket{le=\"+Inf\"} 1\n"
            "e_bytes_sum 1\n"
            "e_bytes_count 1\n");
}

TEST(ExpositionTest, LabelledFamilyWithoutChildrenIsLeftOut) {
  Registry r;
  r.AddCounterFamily("x_total", "X.", {"reason"});
  EXPECT_EQ(r.Render(), "");
}

TEST(ExpositionTest, CallbacksAreReadAtScrapeTime) {
  Registry r;
  double value = 1;
  r.AddGaugeCallback("g_value", "G.", [&] { return value; });
  r.AddCounterCallback("c_seconds_total", "C.", [] { return 0.25; });
  value = 7;
  EXPECT_EQ(r.Render(),
            "# HELP c_seconds_total C.\n# TYPE c_seconds_total counter\nc_seconds_total 0.25\n"
            "# HELP g_value G.\n# TYPE g_value gauge\ng_value 7\n");
}

}  // namespace
}  // namespace berth::metrics
