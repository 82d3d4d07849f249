#include "doctor/id_map.h"

#include <gtest/gtest.h>

namespace berth::doctor {
namespace {

TEST(IdMap, ParsesProcFormat) {
  auto map = ParseIdMap("         0     100000      65536\n     65536      1000          1\n");
  ASSERT_TRUE(map.ok()) << map.status();
  ASSERT_EQ(map->size(), 2u);
  EXPECT_EQ((*map)[0].inside, 0u);
  EXPECT_EQ((*map)[0].outside, 100000u);
  EXPECT_EQ((*map)[0].count, 65536u);
  EXPECT_TRUE(MapsInside(*map, 65535));
  EXPECT_TRUE(MapsInside(*map, 65536));
  EXPECT_FALSE(MapsInside(*map, 65537));
  EXPECT_TRUE(MapsOutside(*map, 100000));
  EXPECT_TRUE(MapsOutside(*map, 1000));
  EXPECT_FALSE(MapsOutside(*map, 0));
  EXPECT_FALSE(IsInitialNamespace(*map));
  EXPECT_EQ(FormatIdMap(*map), "0:100000:65536,65536:1000:1");
}

TEST(IdMap, InitialNamespaceMapsEverything) {
  auto map = ParseIdMap("         0          0 4294967295\n");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_TRUE(IsInitialNamespace(*map));
  EXPECT_TRUE(MapsInside(*map, 4294967294u));
}

TEST(IdMap, RejectsMalformedLines) {
  for (const char* bad : {"0 100000\n", "0 100000 65536 1\n", "0 -1 5\n", "a b c\n", "0 0 99999999999\n"}) {
    auto map = ParseIdMap(bad);
    EXPECT_FALSE(map.ok()) << bad;
    EXPECT_EQ(map.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(IdMap, ReadsThisProcessesMap) {
  auto map = ReadIdMap("/proc/self/uid_map");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_FALSE(map->empty());
  EXPECT_FALSE(ReadIdMap("/proc/self/no_such_map").ok());
}

}  // namespace
}  // namespace berth::doctor
