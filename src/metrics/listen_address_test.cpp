#include "metrics/listen_address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::metrics {
namespace {

using ::testing::HasSubstr;

std::string Error(std::string_view text) {
  auto address = ParseListenAddress(text);
  EXPECT_FALSE(address.ok()) << text;
  return address.ok() ? "" : std::string(address.status().message());
}

TEST(ListenAddressTest, LoopbackAddresses) {
  for (std::string_view text : {"127.0.0.1:1338", "localhost:0", "127.1.2.3:65535", "[::1]:9090"}) {
    auto address = ParseListenAddress(text);
    ASSERT_TRUE(address.ok()) << text << ": " << address.status();
    EXPECT_TRUE(address->loopback) << text;
    EXPECT_EQ(address->text, text);
  }
}

TEST(ListenAddressTest, ExplicitNonLoopbackIpsAreAcceptedAndFlagged) {
  for (std::string_view text : {"0.0.0.0:9090", "10.1.2.3:9090", "[::]:9090", "[fd00::1]:1"}) {
    auto address = ParseListenAddress(text);
    ASSERT_TRUE(address.ok()) << text << ": " << address.status();
    EXPECT_FALSE(address->loopback) << text;
  }
}

TEST(ListenAddressTest, RefusesNamesMissingHostsAndBadPorts) {
  EXPECT_THAT(Error("metrics.example.com:9090"), HasSubstr("not resolved"));
  EXPECT_THAT(Error(":9090"), HasSubstr("no host"));
  EXPECT_THAT(Error("127.0.0.1"), HasSubstr("HOST:PORT"));
  EXPECT_THAT(Error("127.0.0.1:"), HasSubstr("port"));
  EXPECT_THAT(Error("127.0.0.1:65536"), HasSubstr("port"));
  EXPECT_THAT(Error("127.0.0.1:12ab"), HasSubstr("port"));
  EXPECT_THAT(Error("[::1:9090"), HasSubstr("not resolved"));
  EXPECT_THAT(Error("[zz::1]:9090"), HasSubstr("IPv6"));
  EXPECT_THAT(Error("256.0.0.1:9090"), HasSubstr("\"256.0.0.1:9090\""));
}

}  // namespace
}  // namespace berth::metrics
