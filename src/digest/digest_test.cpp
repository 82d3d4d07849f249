#include "digest/digest.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

constexpr char kEmpty[] = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(DigestTest, ParsesCanonicalSha256) {
  auto d = Digest::Parse(kEmpty);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->str(), kEmpty);
  EXPECT_EQ(d->hex().size(), 64u);
}

TEST(DigestTest, RejectsAnythingThatCouldEscapeAPath) {
  for (const char* bad : {"", "sha256:", "sha256:../../etc/passwd", "sha512:abc", "md5:00",
                          "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                          "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
                          "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
                          "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85/",
                          "sha256/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}) {
    auto d = Digest::Parse(bad);
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(DigestTest, HashesKnownVectors) {
  EXPECT_EQ(Digest::Of("").str(), kEmpty);
  EXPECT_EQ(Digest::Of("abc").str(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DigestTest, StreamingMatchesOneShotAndPeekDoesNotDisturb) {
  Sha256 h;
  h.Update("a");
  EXPECT_EQ(h.Peek(), Digest::Of("a"));
  h.Update("bc");
  EXPECT_EQ(h.Peek(), Digest::Of("abc"));
  EXPECT_EQ(h.Finish(), Digest::Of("abc"));
  EXPECT_EQ(h.Finish(), Digest::Of(""));  // Finish resets
}

}  // namespace
}  // namespace berth
