#include "metrics/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace berth::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kThreads = 8;
constexpr int kPerThread = 100000;

template <typename Body>
void RunConcurrently(Body body) {
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(body, t);
  for (auto& thread : threads) thread.join();
}

TEST(RegistryTest, ConcurrentCounterIncrementsSumExactly) {
  Registry r;
  Counter* c = r.AddCounter("c_total", "C.");
  RunConcurrently([&](int) {
    for (int i = 0; i < kPerThread; ++i) c->Inc(3);
  });
  EXPECT_EQ(c->value(), uint64_t{3} * kThreads * kPerThread);
}

TEST(RegistryTest, ConcurrentGaugeAddsAndHistogramObservationsSumExactly) {
  Registry r;
  Gauge* g = r.AddGauge("g", "G.");
  Histogram* h = r.AddHistogram("h", "H.", {1, 2});
  RunConcurrently([&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      g->Add(t % 2 == 0 ? 2 : -1);  // small integers: exact in a double
      h->Observe(t % 3);            // 0 and 1 land in le=1, 2 in le=2
    }
  });
  EXPECT_EQ(g->value(), (4 * 2 - 4 * 1) * kPerThread);
  Histogram::Snapshot s = h->Read();
  // Threads 0..7 observe 0,1,2,0,1,2,0,1: six in le=1, two in le=2.
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{6 * kPerThread, 8 * kPerThread, 8 * kPerThread}));
  EXPECT_EQ(s.sum, (0 + 1 + 2 + 0 + 1 + 2 + 0 + 1) * double{kPerThread});
}

TEST(RegistryTest, ConcurrentWithCallsShareOneChildPerLabelValues) {
  Registry r;
  auto* f = r.AddCounterFamily("f_total", "F.", {"reason"});
  RunConcurrently([&](int t) {
    for (int i = 0; i < kPerThread / 10; ++i) f->With({i % 2 == 0 ? "even" : "odd"})->Inc();
  });
  EXPECT_EQ(f->With({"even"})->value(), uint64_t{kThreads} * kPerThread / 20);
  EXPECT_EQ(f->With({"odd"})->value(), uint64_t{kThreads} * kPerThread / 20);
  EXPECT_EQ(f->With({"even"}), f->With({std::string("even")}));  // stable pointer
}

TEST(RegistryTest, ScrapesWhileCountingDoNotRace) {
  Registry r;
  auto* f = r.AddCounterFamily("f_total", "F.", {"n"});
  std::thread scraper([&] {
    for (int i = 0; i < 200; ++i) EXPECT_THAT(r.Render(), Not(HasSubstr("f_total{n=\"-1\"}")));
  });
  RunConcurrently([&](int t) {
    for (int i = 0; i < 2000; ++i) f->With({std::to_string(i % 50)})->Inc();
  });
  scraper.join();
  EXPECT_EQ(f->With({"7"})->value(), uint64_t{kThreads} * 2000 / 50);
}

TEST(RegistryTest, ChildrenRenderInLabelValueOrder) {
  Registry r;
  auto* f = r.AddGaugeFamily("g", "G.", {"k"});
  f->With({"b"})->Set(2);
  f->With({"a"})->Set(1);
  f->With({"c"})->Set(3);
  EXPECT_EQ(r.Render(), "# HELP g G.\n# TYPE g gauge\ng{k=\"a\"} 1\ng{k=\"b\"} 2\ng{k=\"c\"} 3\n");
}

TEST(RegistryTest, SameNameSameShapeReturnsTheSameMetric) {
  Registry r;
  EXPECT_EQ(r.AddCounter("c_total", "C."), r.AddCounter("c_total", "C."));
  EXPECT_EQ(r.AddHistogramFamily("h", "H.", {"m"}, {1, 2}), r.AddHistogramFamily("h", "H.", {"m"}, {1, 2}));
}

TEST(RegistryTest, ConflictsAndInvalidNamesWorkButAreNotExported) {
  Registry r;
  r.AddCounter("c_total", "C.")->Inc(5);
  Gauge* conflicting = r.AddGauge("c_total", "Other type.");
  ASSERT_NE(conflicting, nullptr);
  conflicting->Set(99);
  Histogram* other_buckets = r.AddHistogramFamily("h", "H.", {}, {1})->With({});
  Histogram* conflict_buckets = r.AddHistogramFamily("h", "H.", {}, {2})->With({});
  EXPECT_NE(other_buckets, conflict_buckets);
  Counter* bad_name = r.AddCounter("bad-name", "B.");
  bad_name->Inc();
  auto* bad_label = r.AddCounterFamily("l_total", "L.", {"__reserved"});
  bad_label->With({"x"})->Inc();
  auto* le_label = r.AddHistogramFamily("hl", "HL.", {"le"}, {1});
  le_label->With({"x"})->Observe(1);

  std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("c_total 5\n"));
  EXPECT_THAT(text, Not(HasSubstr("99")));
  EXPECT_THAT(text, Not(HasSubstr("bad")));
  EXPECT_THAT(text, Not(HasSubstr("l_total")));
  EXPECT_THAT(text, Not(HasSubstr("hl_")));
  EXPECT_THAT(text, HasSubstr("h_bucket{le=\"1\"} 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("le=\"2\"")));
}

TEST(RegistryTest, WrongNumberOfLabelValuesIsCountedApartAndNotExported) {
  Registry r;
  auto* f = r.AddCounterFamily("f_total", "F.", {"a", "b"});
  f->With({"only-one"})->Inc();
  EXPECT_TRUE(f->HasMislabeledCalls());
  EXPECT_EQ(r.Render(), "");
  f->With({"x", "y"})->Inc();
  EXPECT_EQ(r.Render(), "# HELP f_total F.\n# TYPE f_total counter\nf_total{a=\"x\",b=\"y\"} 1\n");
}

TEST(RegistryTest, UnsortedBucketsFallBackToTheDefaults) {
  Registry r;
  Histogram* h = r.AddHistogram("h", "H.", {2, 1});
  EXPECT_EQ(h->bounds(), DefaultBuckets());
}

TEST(RegistryTest, DefaultIsOneRegistry) { EXPECT_EQ(&Default(), &Default()); }

}  // namespace
}  // namespace berth::metrics
