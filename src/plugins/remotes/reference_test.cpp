#include "plugins/remotes/reference.h"

#include <gtest/gtest.h>

namespace berth::remotes {
namespace {

const std::string kHex(64, 'a');

TEST(ReferenceTest, NormalisesDockerHubNames) {
  auto ref = Reference::Parse("busybox");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->registry, "docker.io");
  EXPECT_EQ(ref->repository, "library/busybox");
  EXPECT_EQ(ref->tag, "latest");
  EXPECT_EQ(ref->ApiHost(), "registry-1.docker.io");
  EXPECT_EQ(ref->String(), "docker.io/library/busybox:latest");

  ref = Reference::Parse("user/app:1.0");
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->String(), "docker.io/user/app:1.0");

  ref = Reference::Parse("index.docker.io/library/alpine:3");
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->String(), "docker.io/library/alpine:3");
}

TEST(ReferenceTest, HostWithPortAndNestedRepository) {
  auto ref = Reference::Parse("127.0.0.1:5000/a/b/c:v1");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->registry, "127.0.0.1:5000");
  EXPECT_EQ(ref->ApiHost(), "127.0.0.1:5000");
  EXPECT_EQ(ref->repository, "a/b/c");
  EXPECT_EQ(ref->tag, "v1");
  EXPECT_EQ(ref->Object(), "v1");

  ref = Reference::Parse("localhost/app");  // localhost is a host even without a dot or port
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->registry, "localhost");
  EXPECT_EQ(ref->repository, "app");
  EXPECT_EQ(ref->tag, "latest");

  ref = Reference::Parse("ghcr.io/org/tool");
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->registry, "ghcr.io");
  EXPECT_EQ(ref->repository, "org/tool");
}

TEST(ReferenceTest, DigestReferences) {
  auto ref = Reference::Parse("127.0.0.1:5000/a@sha256:" + kHex);
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_TRUE(ref->tag.empty());
  ASSERT_TRUE(ref->digest.has_value());
  EXPECT_EQ(ref->Object(), "sha256:" + kHex);
  EXPECT_EQ(ref->String(), "127.0.0.1:5000/a@sha256:" + kHex);

  ref = Reference::Parse("busybox:1.36@sha256:" + kHex);
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->tag, "1.36");
  EXPECT_EQ(ref->Object(), "sha256:" + kHex);  // the digest wins
}

TEST(ReferenceTest, RejectsInvalidNames) {
  for (const char* bad : {"", "Busybox", "a//b", "a/", ":tag", "busybox:", "busybox:-x", "busybox@sha256:abc",
                          "busybox@md5:" "0123", "a_-b", "-a", "a.", "host:5000/"}) {
    auto ref = Reference::Parse(bad);
    EXPECT_FALSE(ref.ok()) << "accepted \"" << bad << "\" as " << ref->String();
    if (!ref.ok()) {
      EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace berth::remotes
