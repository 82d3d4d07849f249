#include "plugins/content/local/ingest.h"

#include <gtest/gtest.h>

namespace berth::content {
namespace {

TEST(IngestMetaTest, RoundTripsRefsWithAnyBytes) {
  IngestMeta meta{.ref = std::string("line1\nline2 \0 tail", 18),
                  .total = 1234,
                  .expected = Digest::Of("x"),
                  .started_at = absl::FromUnixNanos(1700000000123456789)};
  absl::StatusOr<IngestMeta> back = DecodeIngestMeta(EncodeIngestMeta(meta));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->ref, meta.ref);
  EXPECT_EQ(back->total, 1234);
  EXPECT_EQ(back->expected, meta.expected);
  EXPECT_EQ(back->started_at, meta.started_at);

  meta.expected.reset();
  meta.total = 0;
  back = DecodeIngestMeta(EncodeIngestMeta(meta));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(back->expected.has_value());
  EXPECT_EQ(back->total, 0);
}

TEST(IngestMetaTest, RejectsTornOrForeignFiles) {
  const std::string good =
      EncodeIngestMeta({.ref = "r", .total = 5, .expected = {}, .started_at = absl::Now()});
  ASSERT_TRUE(DecodeIngestMeta(good).ok());
  // Every strict prefix is what a torn write could leave: none may decode.
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(DecodeIngestMeta(good.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeIngestMeta("berth-ingest v2\ntotal 1\nstartedat 1\nref r").ok());
  EXPECT_FALSE(DecodeIngestMeta("berth-ingest v1\ntotal -1\nstartedat 1\nref r").ok());
  EXPECT_FALSE(
      DecodeIngestMeta("berth-ingest v1\ntotal 1\nexpected sha256:zz\nstartedat 1\nref r").ok());
}

TEST(LayoutTest, RefsAreHashedIntoIngestPaths) {
  Layout layout("/root");
  EXPECT_EQ(layout.IngestDir("../../etc"),
            "/root/ingest/" + std::string(Digest::Of("../../etc").hex()));
  EXPECT_EQ(layout.BlobPath(Digest::Of("")),
            "/root/blobs/sha256/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace berth::content
