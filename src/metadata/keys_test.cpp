#include "metadata/keys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::metadata {
namespace {

using ::testing::ElementsAre;

TEST(KeysTest, RoundTripsPartsHoldingSeparatorBytes) {
  std::string nul("a\0b", 3);
  std::string key = Key({"ns", nul, "\x01x", ""});
  EXPECT_THAT(SplitKey(key), ElementsAre("ns", nul, "\x01x", ""));
}

TEST(KeysTest, PrefixOfANamespaceDoesNotMatchALongerNamespace) {
  std::string prefix = KeyPrefix({"a"});
  EXPECT_TRUE(Key({"a", "img"}).starts_with(prefix));
  EXPECT_FALSE(Key({"a-b", "img"}).starts_with(prefix));
  EXPECT_FALSE(Key({"a"}).starts_with(prefix));
}

TEST(KeysTest, KeepsTheOrderOfPlainNames) {
  EXPECT_LT(Key({"a", "x"}), Key({"a-b", "a"}));
  EXPECT_LT(Key({"ns", "alpine"}), Key({"ns", "busybox"}));
}

}  // namespace
}  // namespace berth::metadata

namespace berth::metadata {
namespace {

TEST(KeysTest, LongPartsAreHashedToFitLmdbKeys) {
  std::string a(1000, 'r');
  std::string b = a + "x";
  std::string ka = Key({"ns", a, a, a});
  EXPECT_LT(ka.size(), 511u);
  EXPECT_NE(ka, Key({"ns", b, a, a})) << "distinct long parts must give distinct keys";
  EXPECT_TRUE(ka.starts_with(KeyPrefix({"ns"})));
  EXPECT_TRUE(Key({"ns", a, "x"}).starts_with(KeyPrefix({"ns", a})));
}

}  // namespace
}  // namespace berth::metadata
