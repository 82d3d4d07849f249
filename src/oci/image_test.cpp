#include "oci/image.h"

#include <gtest/gtest.h>

namespace berth::oci {
namespace {

constexpr char kLayerA[] = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kLayerB[] = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

TEST(PlatformTest, ParsesAndNormalises) {
  auto p = Platform::Parse("linux/x86_64");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->str(), "linux/amd64");
  auto v = Platform::Parse("linux/aarch64/v8");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->str(), "linux/arm64/v8");
  EXPECT_FALSE(Platform::Parse("linux//v8").ok());
  EXPECT_FALSE(Platform::Parse("a/b/c/d").ok());
  EXPECT_FALSE(Platform::Parse("").ok());
}

TEST(PlatformTest, MatchesVariantOnlyWhenAsked) {
  Platform arm64{.os = "linux", .architecture = "arm64", .variant = ""};
  Platform arm64v8{.os = "linux", .architecture = "arm64", .variant = "v8"};
  EXPECT_TRUE(arm64.Matches({.os = "linux", .architecture = "arm64", .variant = "v8"}));
  EXPECT_TRUE(arm64v8.Matches({.os = "linux", .architecture = "arm64", .variant = ""}));  // v8 is the default
  EXPECT_FALSE(arm64v8.Matches({.os = "linux", .architecture = "arm64", .variant = "v9"}));
  EXPECT_FALSE(arm64.Matches({.os = "linux", .architecture = "amd64", .variant = ""}));
  EXPECT_FALSE(arm64.Matches({.os = "windows", .architecture = "arm64", .variant = ""}));
}

TEST(IndexTest, SelectsThePlatformsManifest) {
  std::string json = std::string(R"({"schemaVersion":2,"manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")") + kLayerA +
                     R"(","size":10,"platform":{"os":"linux","architecture":"arm64"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kLayerB +
                     R"(","size":20,"platform":{"os":"linux","architecture":"amd64"},
     "annotations":{"k":"v"}}]})";
  auto index = ParseIndex(json);
  ASSERT_TRUE(index.ok()) << index.status();
  ASSERT_EQ(index->manifests.size(), 2u);
  auto amd64 = SelectManifest(*index, {.os = "linux", .architecture = "amd64", .variant = ""});
  ASSERT_TRUE(amd64.ok());
  EXPECT_EQ(amd64->descriptor.digest.str(), kLayerB);
  EXPECT_EQ(amd64->descriptor.size, 20);
  EXPECT_EQ(amd64->descriptor.annotations.at("k"), "v");
  auto s390 = SelectManifest(*index, {.os = "linux", .architecture = "s390x", .variant = ""});
  EXPECT_TRUE(absl::IsNotFound(s390.status()));
  EXPECT_NE(std::string(s390.status().message()).find("linux/s390x"), std::string::npos);
}

TEST(ManifestTest, ParsesConfigAndLayersAndRejectsBadDescriptors) {
  std::string json = std::string(R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")") +
                     kLayerA + R"(","size":5},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
                     kLayerB + R"(","size":7}]})";
  auto m = ParseManifest(json);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->config.digest.str(), kLayerA);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].size, 7);
  EXPECT_FALSE(ParseManifest(R"({"config":{"digest":"sha256:short","size":1},"layers":[]})").ok());
  EXPECT_FALSE(ParseManifest(std::string(R"({"config":{"digest":")") + kLayerA + R"(","size":-1},"layers":[]})").ok());
  EXPECT_FALSE(ParseManifest("[1,2]").ok());
  EXPECT_FALSE(ParseManifest("{not json").ok());
}

TEST(ManifestTest, RefusesOversizedDocuments) {
  std::string big = R"({"pad":")" + std::string(kMaxDocumentSize, 'x') + R"("})";
  auto m = ParseManifest(big);
  EXPECT_TRUE(absl::IsInvalidArgument(m.status()));
}

TEST(ImageConfigTest, ChainIdsFollowIdentityChainIDs) {
  std::string json = std::string(R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")") +
                     kLayerA + R"(",")" + kLayerB + R"("]}})";
  auto c = ParseImageConfig(json);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->platform.str(), "linux/amd64");
  auto chain = ChainIds(c->diff_ids);
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0].str(), kLayerA);
  // sha256("sha256:aaa… sha256:bbb…"), as containerd's identity.ChainID computes it.
  EXPECT_EQ(chain[1], Digest::Of(std::string(kLayerA) + " " + kLayerB));
}

}  // namespace
}  // namespace berth::oci
