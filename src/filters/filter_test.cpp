#include "filters/filter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::filters {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// The corpus of containerd's filters/filter_test.go.
struct Entry {
  std::string name;
  std::string other;
  std::map<std::string, std::string> labels;
};

const std::vector<Entry>& Corpus() {
  static const auto* corpus = new std::vector<Entry>{
      {"foo", "", {{"foo", "true"}}},
      {"bar", "", {}},
      {"foo", "", {{"foo", "present"}, {"more complex label", "present"}}},
      {"bar", "", {{"bar", "true"}}},
      {"fooer", "", {{"more complex label with \\ and \"", "present"}}},
      {"fooer", "", {{"more complex label with \\ and \".post", "present"}}},
      {"baz", "too complex, yo", {}},
      {"bazo", "abc", {}},
      {"compound", "", {{"foo", "omg_asdf.asdf-qwer"}}},
  };
  return *corpus;
}

Adaptor Adapt(const Entry& e) {
  return [&e](const std::vector<std::string>& path) -> std::optional<std::string> {
    if (path.empty()) return std::nullopt;
    auto nonempty = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional(s); };
    if (path[0] == "name") return nonempty(e.name);
    if (path[0] == "other") return nonempty(e.other);
    if (path[0] == "labels") return LabelLookup(e.labels, {path.begin() + 1, path.end()});
    return std::nullopt;
  };
}

// Indexes of the corpus entries that `filters` matches.
std::vector<int> Matches(const std::vector<std::string>& filters) {
  absl::StatusOr<Filter> f = Filter::Parse(filters);
  EXPECT_TRUE(f.ok()) << f.status();
  if (!f.ok()) return {-1};
  std::vector<int> out;
  for (size_t i = 0; i < Corpus().size(); ++i) {
    if (f->Match(Adapt(Corpus()[i]))) out.push_back(static_cast<int>(i));
  }
  return out;
}

std::string ParseError(const std::string& filter) {
  absl::StatusOr<Filter> f = Filter::Parse({filter});
  EXPECT_FALSE(f.ok()) << filter;
  if (f.ok()) return "";
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(f.status().message());
}

struct MatchCase {
  std::string name;
  std::string input;
  std::vector<int> expected;
};

class FilterMatchTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(FilterMatchTest, MatchesContainerdCorpus) {
  EXPECT_THAT(Matches({GetParam().input}), ElementsAreArray(GetParam().expected)) << GetParam().input;
}

INSTANTIATE_TEST_SUITE_P(
    Containerd, FilterMatchTest,
    ::testing::Values(
        MatchCase{"Empty", "", {0, 1, 2, 3, 4, 5, 6, 7, 8}},
        MatchCase{"Present", "name", {0, 1, 2, 3, 4, 5, 6, 7, 8}},
        MatchCase{"LabelPresent", "labels.foo", {0, 2, 8}},
        MatchCase{"NameAndLabelPresent", "labels.foo,name", {0, 2, 8}},
        MatchCase{"LabelValue", "labels.foo==true", {0}},
        MatchCase{"LabelValuePunctuated", "labels.foo==omg_asdf.asdf-qwer", {8}},
        MatchCase{"Name", "name==bar", {1, 3}},
        MatchCase{"NameNotEqual", "name!=bar", {0, 2, 4, 5, 6, 7, 8}},
        MatchCase{"NameAndLabelPresent2", "name==bar,labels.bar", {3}},
        MatchCase{"QuotedValue", "other==\"too complex, yo\"", {6}},
        MatchCase{"RegexpValue", "other~=[abc]+,name!=foo", {6, 7}},
        MatchCase{"RegexpQuotedValue", "other~=/[abc]+/,name!=foo", {6, 7}},
        MatchCase{"RegexpQuotedValueBraces", "other~=/[abc]{1,2}/,name!=foo", {6, 7}},
        MatchCase{"RegexpQuotedValueGarbage", "other~=/[abc]{0,1}\"\\//,name!=foo", {}},
        MatchCase{"NameAndLabelValue", "name==bar,labels.bar==true", {3}},
        MatchCase{"NameAndLabelValueNoMatch", "name==bar,labels.bar==wrong", {}},
        MatchCase{"LabelQuotedFieldPathPresent", R"(name==foo,labels."more complex label")", {2}},
        MatchCase{"LabelQuotedFieldPathPresentWithQuoted",
                  R"(labels."more complex label with \\ and \""==present)", {4}},
        MatchCase{"LabelQuotedFieldPathPresentWithQuotedEmbed",
                  R"(labels."more complex label with \\ and \"".post==present)", {5}},
        // Spaces may precede tokens; containerd rejects a space after a value (see UnexpectedInput).
        MatchCase{"SpacesBeforeTokens", " name == bar, labels.bar", {3}},
        MatchCase{"RegexpPipeQuoted", "name~=|^fo+$|", {0, 2}},
        MatchCase{"RegexpIsUnanchored", "name~=oo", {0, 2, 4, 5}},
        MatchCase{"AbsentFieldNotEqual", "labels.bar!=true", {0, 1, 2, 4, 5, 6, 7, 8}},
        MatchCase{"AbsentFieldRegexpSeesEmpty", "other~=^$", {0, 1, 2, 3, 4, 5, 8}}),
    [](const auto& info) { return info.param.name; });

struct ErrorCase {
  std::string name;
  std::string input;
  std::string error;
};

class FilterErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(FilterErrorTest, ReportsContainerdMessage) {
  EXPECT_EQ(ParseError(GetParam().input), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Containerd, FilterErrorTest,
    ::testing::Values(
        ErrorCase{"LabelValueNoAltQuoting", "labels.|foo|==omg_asdf.asdf-qwer",
                  "filters: parse error: [labels. >|||< foo|==omg_asdf.asdf-qwer]: invalid quote encountered"},
        ErrorCase{"QuotedEmbedInvalid", R"(labels.?"more complex label with \\ and \"".post==present)",
                  R"(filters: parse error: [labels. >|?|< "more complex label with \\ and \"".post==present]: )"
                  "expected field or quoted"},
        ErrorCase{"TrailingComma", "name==foo,", "filters: parse error: [name==foo,]: expected field or quoted"},
        ErrorCase{"TrailingFieldSeparator", "labels.",
                  "filters: parse error: [labels.]: expected field or quoted"},
        ErrorCase{"MissingValue", "image~=,id?=?fbaq",
                  "filters: parse error: [image~= >|,|< id?=?fbaq]: expected value or quoted"},
        ErrorCase{"FieldQuotedLiteralNotTerminated", "labels.ns/key==value",
                  "filters: parse error: [labels.ns >|/|< key==value]: quoted literal not terminated"},
        ErrorCase{"ValueQuotedLiteralNotTerminated", "labels.key==/value",
                  "filters: parse error: [labels.key== >|/|< value]: quoted literal not terminated"},
        ErrorCase{"UnsupportedOperator", "name=!x",
                  "filters: parse error: [name >|=|< !x]: unsupported operator \"=!\""},
        ErrorCase{"UnexpectedInput", "name==a b",
                  "filters: parse error: [name==a >| |< b]: unexpected input:  "},
        ErrorCase{"IllegalEscape", R"(labels."a\qb")",
                  R"(filters: parse error: [labels. >|"|< a\qb"]: illegal escape sequence)"}),
    [](const auto& info) { return info.param.name; });

TEST(FilterTest, EmptyListMatchesEverything) {
  EXPECT_THAT(Matches({}), ElementsAreArray({0, 1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(FilterTest, EmptyEntryMatchesEverythingAsCtrSendsIt) {
  // `ctr content active` sends [""]; containerd treats the empty filter as Always.
  EXPECT_THAT(Matches({""}), ElementsAreArray({0, 1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_THAT(Matches({"name==nothing", ""}), ElementsAreArray({0, 1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(FilterTest, ListIsAnOrOfEntries) {
  EXPECT_THAT(Matches({"name==bar", "labels.foo==true"}), ElementsAreArray({0, 1, 3}));
  EXPECT_THAT(Matches({"name==bazo", "other~=complex"}), ElementsAreArray({6, 7}));
}

TEST(FilterTest, OneBadEntryFailsTheWholeList) {
  absl::StatusOr<Filter> f = Filter::Parse({"name==bar", "labels."});
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FilterTest, InvalidRegexpIsInvalidArgumentNamingIt) {
  absl::StatusOr<Filter> f = Filter::Parse({"name~=/a(/"});
  ASSERT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(f.status().message()), HasSubstr("a("));
}

TEST(FilterTest, QuotedValueEscapesAreDecoded) {
  Entry e{"tab\there", "\xc3\xa9", {}};
  auto match = [&](const std::string& s) { return Filter::Parse({s}).value().Match(Adapt(e)); };
  EXPECT_TRUE(match(R"(name=="tab\there")"));
  EXPECT_TRUE(match(R"(name=="tab\x09here")"));
  EXPECT_TRUE(match(R"(name=="tab\011here")"));
  EXPECT_TRUE(match(R"(other=="\u00e9")"));
  EXPECT_TRUE(match("other==\xc3\xa9"));  // bare UTF-8 values are allowed
  EXPECT_FALSE(match(R"(name=="tab\\there")"));
}

TEST(FilterTest, LabelKeysWithDotsAndSlashesNeedQuotingOnlyForSlashes) {
  Entry e{"x", "", {{"containerd.io/gc.root", "1"}, {"a.b.c", "v"}}};
  auto match = [&](const std::string& s) { return Filter::Parse({s}).value().Match(Adapt(e)); };
  EXPECT_TRUE(match(R"(labels."containerd.io/gc.root")"));
  EXPECT_TRUE(match(R"(labels."containerd.io/gc.root"==1)"));
  EXPECT_TRUE(match("labels.a.b.c==v"));
  EXPECT_TRUE(match(R"(labels."a.b".c==v)"));
  EXPECT_FALSE(match("labels.a.b"));
}

TEST(FilterTest, MovedFilterStillMatches) {
  Filter f = Filter::Parse({"name~=^ba"}).value();
  Filter g = std::move(f);
  EXPECT_TRUE(g.Match(Adapt(Corpus()[1])));
  EXPECT_FALSE(g.Match(Adapt(Corpus()[0])));
}

TEST(LabelLookupTest, JoinsPathWithDotsAndTreatsEmptyMapAsAbsent) {
  EXPECT_EQ(LabelLookup({{"a.b", "1"}}, {"a", "b"}), "1");
  EXPECT_EQ(LabelLookup({{"a.b", ""}}, {"a.b"}), "");
  EXPECT_EQ(LabelLookup({}, {"a"}), std::nullopt);
  EXPECT_EQ(LabelLookup({{"a", "1"}}, {"b"}), std::nullopt);
}

}  // namespace
}  // namespace berth::filters
