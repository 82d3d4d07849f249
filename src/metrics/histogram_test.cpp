#include "metrics/histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

namespace berth::metrics {
namespace {

std::vector<uint64_t> Cumulative(const Histogram& h) { return h.Read().cumulative; }

Histogram Make(std::vector<double> bounds) {
  return Histogram(std::make_shared<const std::vector<double>>(std::move(bounds)));
}

TEST(HistogramTest, BoundsAreInclusiveUpperLimits) {
  Histogram h = Make({1, 2, 3});
  h.Observe(1);          // exactly on the first bound
  h.Observe(1.0000001);  // just above it
  h.Observe(3);          // exactly on the last bound
  h.Observe(3.0000001);  // above every bound: +Inf only
  EXPECT_EQ(Cumulative(h), (std::vector<uint64_t>{1, 2, 3, 4}));
}

TEST(HistogramTest, SmallNegativeAndInfiniteValues) {
  Histogram h = Make({0, 10});
  h.Observe(-5);                                        // below every bound: the first bucket
  h.Observe(0);                                         // on 0
  h.Observe(-std::numeric_limits<double>::infinity());  // first bucket too
  h.Observe(std::numeric_limits<double>::infinity());   // +Inf only
  EXPECT_EQ(Cumulative(h), (std::vector<uint64_t>{3, 3, 4}));
  EXPECT_TRUE(std::isnan(h.Read().sum));  // -Inf + +Inf
}

TEST(HistogramTest, NanCountsOnlyInInfAndPoisonsTheSum) {
  Histogram h = Make({1});
  h.Observe(std::nan(""));
  EXPECT_EQ(Cumulative(h), (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ(h.Read().count, 1u);
  EXPECT_TRUE(std::isnan(h.Read().sum));
}

TEST(HistogramTest, NoBoundsMeansOnlyInf) {
  Histogram h = Make({});
  h.Observe(3);
  h.Observe(4);
  Histogram::Snapshot s = h.Read();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2}));
  EXPECT_EQ(s.count, 2u);
  EXPECT_EQ(s.sum, 7);
}

TEST(HistogramTest, ScopedTimerObservesOnce) {
  Histogram h = Make({3600});
  { ScopedTimer timer(&h); }
  Histogram::Snapshot s = h.Read();
  EXPECT_EQ(s.count, 1u);
  EXPECT_EQ(s.cumulative[0], 1u);
  EXPECT_GE(s.sum, 0);
}

TEST(HistogramTest, BucketHelpers) {
  EXPECT_EQ(DefaultBuckets().size(), 11u);
  EXPECT_EQ(DefaultBuckets().front(), 0.005);
  EXPECT_EQ(DefaultBuckets().back(), 10);
  EXPECT_EQ(ExponentialBuckets(1, 4, 4), (std::vector<double>{1, 4, 16, 64}));
}

}  // namespace
}  // namespace berth::metrics
