#include "shim/flags.h"

#include <gtest/gtest.h>

namespace berth::shim {
namespace {

TEST(FlagsTest, ParsesContainerdStartCommandLine) {
  auto f = ParseFlags({"-namespace", "default", "-address", "/run/containerd/containerd.sock", "-publish-binary",
                       "/usr/bin/containerd", "-id", "t1", "-debug", "start"});
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->ns, "default");
  EXPECT_EQ(f->address, "/run/containerd/containerd.sock");
  EXPECT_EQ(f->publish_binary, "/usr/bin/containerd");
  EXPECT_EQ(f->id, "t1");
  EXPECT_TRUE(f->debug);
  EXPECT_EQ(f->action, "start");
}

TEST(FlagsTest, ParsesDeleteAndDaemonForms) {
  auto del = ParseFlags({"-namespace", "ns", "-address", "a", "-publish-binary", "b", "-id", "x", "-bundle",
                         "/run/b", "delete"});
  ASSERT_TRUE(del.ok()) << del.status();
  EXPECT_EQ(del->bundle, "/run/b");
  EXPECT_EQ(del->action, "delete");
  auto daemon = ParseFlags({"-namespace=ns", "-id", "x", "--address", "a"});
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  EXPECT_EQ(daemon->ns, "ns");
  EXPECT_EQ(daemon->address, "a");
  EXPECT_EQ(daemon->action, "");
  EXPECT_FALSE(daemon->debug);
}

TEST(FlagsTest, RejectsBadCommandLines) {
  EXPECT_FALSE(ParseFlags({"-namespace", "ns", "-id", "x", "frobnicate"}).ok());
  EXPECT_FALSE(ParseFlags({"-namespace", "ns", "-id", "x", "-nope", "1"}).ok());
  EXPECT_FALSE(ParseFlags({"-namespace", "ns", "-id"}).ok());
  EXPECT_FALSE(ParseFlags({"-id", "x", "start"}).ok());  // no namespace
  EXPECT_FALSE(ParseFlags({"-namespace", "ns", "-id", "x", "start", "extra"}).ok());
}

}  // namespace
}  // namespace berth::shim
