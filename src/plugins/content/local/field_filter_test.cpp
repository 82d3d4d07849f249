#include "plugins/content/local/field_filter.h"

#include <gtest/gtest.h>

namespace berth::content {
namespace {

FieldFilter MustParse(const Filters& f) {
  absl::StatusOr<FieldFilter> parsed = FieldFilter::Parse(f, "ref");
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : *FieldFilter::Parse({}, "ref");
}

TEST(FieldFilterTest, EmptyMatchesEverything) {
  EXPECT_TRUE(MustParse({}).Match("anything"));
  EXPECT_TRUE(MustParse({"", " "}).Match("anything"));
}

TEST(FieldFilterTest, Operators) {
  EXPECT_TRUE(MustParse({"ref==a"}).Match("a"));
  EXPECT_FALSE(MustParse({"ref==a"}).Match("ab"));
  EXPECT_TRUE(MustParse({"ref!=a"}).Match("ab"));
  EXPECT_FALSE(MustParse({"ref!=a"}).Match("a"));
  EXPECT_TRUE(MustParse({"ref~=^layer-"}).Match("layer-sha256:1"));
  EXPECT_FALSE(MustParse({"ref~=^layer-"}).Match("manifest-layer-"));
  EXPECT_TRUE(MustParse({"ref~=sha"}).Match("layer-sha256:1"));  // a search, not a full match
}

TEST(FieldFilterTest, CommasAreAndFilterStringsAreOr) {
  FieldFilter both = MustParse({"ref~=^a,ref!=ab"});
  EXPECT_TRUE(both.Match("ac"));
  EXPECT_FALSE(both.Match("ab"));
  EXPECT_FALSE(both.Match("ba"));
  FieldFilter either = MustParse({"ref==x", "ref==y"});
  EXPECT_TRUE(either.Match("x"));
  EXPECT_TRUE(either.Match("y"));
  EXPECT_FALSE(either.Match("z"));
}

TEST(FieldFilterTest, QuotedValuesMayHoldCommasAndQuotes) {
  EXPECT_TRUE(MustParse({R"(ref=="a,b")"}).Match("a,b"));
  EXPECT_TRUE(MustParse({R"(ref=="say \"hi\"")"}).Match(R"(say "hi")"));
}

TEST(FieldFilterTest, RejectsOtherFieldsAndBadSyntax) {
  for (const char* bad : {"labels.a==b", "ref", "ref=a", "ref<a", "digest==x", "ref~=(", "==a"}) {
    absl::StatusOr<FieldFilter> f = FieldFilter::Parse({bad}, "ref");
    EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace berth::content
