// Issue 2 acceptance: `ctr images import --no-unpack` of an OCI archive, `images ls/tag/check/rm`, and
// `images export` whose archive imports into a real containerd with the same digests.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/util/fixture.h"

namespace berth::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kManifestType[] = "application/vnd.oci.image.manifest.v1+json";

class ImagesTest : public DaemonTest {
 protected:
  void MakeArchive(const std::string& name, uint64_t seed, int layers = 2) {
    ASSERT_TRUE(GenerateImage({.name = name, .seed = seed, .layers = layers},
                              scratch_.Join("gen-" + std::to_string(seed)), &image_));
    ASSERT_FALSE(image_.archive.empty());
  }

  void Import(const Ctr& c, const std::string& archive) {
    auto r = c.Run({"images", "import", "--no-unpack", archive});
    ASSERT_CTR_OK(r);
  }

  // Fields of the `images ls` row for name: REF TYPE DIGEST SIZE(2 fields) PLATFORMS LABELS.
  std::vector<std::string> ImageRow(const Ctr& c, const std::string& name) {
    auto r = c.Run({"images", "ls"});
    EXPECT_CTR_OK(r);
    return Fields(RowWithKey(r.out, name));
  }

  // The STATUS column of `images check` for name, e.g. "complete (3/3)".
  std::string CheckStatus(const Ctr& c, const std::string& name) {
    auto r = c.Run({"images", "check"});
    EXPECT_CTR_OK(r);
    auto row = Fields(RowWithKey(r.out, name));
    if (row.size() < 5) {
      ADD_FAILURE() << name << " not in `images check`:\n" << r.out;
      return "";
    }
    return row[3] + " " + row[4];
  }

  std::string Complete() const {
    size_t n = image_.layers.size() + 1;  // config and layers
    return "complete (" + std::to_string(n) + "/" + std::to_string(n) + ")";
  }

  GeneratedImage image_;
};

TEST_F(ImagesTest, ImportListTagCheckRemove) {
  Ctr c = ctr();
  const std::string name = "docker.io/library/imported:v1";
  ASSERT_NO_FATAL_FAILURE(MakeArchive(name, 41));
  ASSERT_NO_FATAL_FAILURE(Import(c, image_.archive));

  EXPECT_THAT(c.ImageNames(), ElementsAre(name));
  auto row = ImageRow(c, name);
  ASSERT_GE(row.size(), 7u);
  EXPECT_EQ(row[1], kManifestType);
  EXPECT_EQ(row[2], image_.manifest);
  EXPECT_EQ(row[5], "linux/amd64");
  EXPECT_THAT(c.ContentDigests(), IsSupersetOf(image_.BlobDigests()));
  for (const auto& d : image_.BlobDigests()) GetBlobChecked(c, d);
  EXPECT_EQ(CheckStatus(c, name), Complete());

  // Tag: a second name for the same target.
  const std::string tag = "docker.io/library/imported:stable";
  auto tagged = c.Run({"images", "tag", name, tag});
  ASSERT_CTR_OK(tagged);
  EXPECT_THAT(Lines(tagged.out), ElementsAre(tag));
  EXPECT_THAT(c.ImageNames(), UnorderedElementsAre(name, tag));
  row = ImageRow(c, tag);
  ASSERT_GE(row.size(), 3u);
  EXPECT_EQ(row[2], image_.manifest);
  auto dup = c.Run({"images", "tag", name, tag});
  EXPECT_CTR_FAILS(dup);
  EXPECT_THAT(dup.err, HasSubstr("already exists")) << dup.Describe();
  auto missing_src = c.Run({"images", "tag", "docker.io/library/nothere:v1", "docker.io/library/x:v1"});
  EXPECT_CTR_FAILS(missing_src);
  EXPECT_THAT(missing_src.err, HasSubstr("not found")) << missing_src.Describe();

  // Remove the original name: the tag still resolves and its content is complete.
  auto rm = c.Run({"images", "rm", name});
  ASSERT_CTR_OK(rm);
  EXPECT_THAT(c.ImageNames(), ElementsAre(tag));
  EXPECT_EQ(CheckStatus(c, tag), Complete());
  for (const auto& d : image_.BlobDigests()) GetBlobChecked(c, d);

  // Removing an unknown image only warns.
  auto rm_unknown = c.Run({"images", "rm", "docker.io/library/nothere:v1"});
  EXPECT_CTR_OK(rm_unknown);
  EXPECT_THAT(rm_unknown.err, HasSubstr("not found"));
}

TEST_F(ImagesTest, ImportIsIdempotent) {
  Ctr c = ctr();
  const std::string name = "docker.io/library/twice:v1";
  ASSERT_NO_FATAL_FAILURE(MakeArchive(name, 42));
  ASSERT_NO_FATAL_FAILURE(Import(c, image_.archive));
  ASSERT_NO_FATAL_FAILURE(Import(c, image_.archive));  // every blob exists already
  EXPECT_THAT(c.ImageNames(), ElementsAre(name));
  EXPECT_EQ(CheckStatus(c, name), Complete());
}

TEST_F(ImagesTest, CheckReportsMissingLayer) {
  Ctr c = ctr();
  const std::string name = "docker.io/library/holey:v1";
  ASSERT_NO_FATAL_FAILURE(MakeArchive(name, 43, 3));
  ASSERT_NO_FATAL_FAILURE(Import(c, image_.archive));
  EXPECT_EQ(CheckStatus(c, name), "complete (4/4)");
  ASSERT_CTR_OK(c.Run({"content", "rm", image_.layers.at(1)}));
  EXPECT_EQ(CheckStatus(c, name), "incomplete (3/4)");
}

TEST_F(ImagesTest, ImagesAreScopedByNamespace) {
  Ctr a = ctr("img-a");
  Ctr b = ctr("img-b");
  const std::string name = "docker.io/library/scoped:v1";
  ASSERT_NO_FATAL_FAILURE(MakeArchive(name, 44));
  ASSERT_NO_FATAL_FAILURE(Import(a, image_.archive));
  ASSERT_CTR_OK(b.Run({"namespaces", "create", "img-b"}));
  EXPECT_THAT(a.ImageNames(), ElementsAre(name));
  EXPECT_THAT(b.ImageNames(), Not(Contains(name)));
  auto check = b.Run({"images", "check"});
  ASSERT_CTR_OK(check);
  EXPECT_THAT(check.out, Not(HasSubstr(name)));
}

TEST_F(ImagesTest, ExportImportsIntoRealContainerdWithSameDigests) {
  Ctr c = ctr();
  const std::string name = "docker.io/library/exported:v1";
  ASSERT_NO_FATAL_FAILURE(MakeArchive(name, 45, 3));
  ASSERT_NO_FATAL_FAILURE(Import(c, image_.archive));

  std::string out = scratch_.Join("exported.tar");
  ASSERT_CTR_OK(c.Run({"images", "export", out, name}));

  // Every blob in the archive hashes to its name, and the image's blobs are all there.
  std::string unpacked = scratch_.Join("exported");
  std::filesystem::create_directories(unpacked);
  ASSERT_CTR_OK(RunCommand({"tar", "-xf", out, "-C", unpacked}));
  std::vector<std::string> archived;
  for (const auto& entry : std::filesystem::directory_iterator(unpacked + "/blobs/sha256")) {
    std::string digest = "sha256:" + entry.path().filename().string();
    EXPECT_EQ(Sha256DigestOfFile(entry.path()), digest) << "corrupt blob in the exported archive";
    archived.push_back(digest);
  }
  EXPECT_THAT(archived, IsSupersetOf(image_.BlobDigests()));
  EXPECT_TRUE(std::filesystem::exists(unpacked + "/index.json"));
  EXPECT_TRUE(std::filesystem::exists(unpacked + "/oci-layout"));

  // A real containerd imports it under the same name, target and blobs.
  Daemon peer(Daemon::Options{.kind = DaemonKind::kContainerd});
  ASSERT_TRUE(peer.Start());
  Ctr p = peer.ctr("peer");
  ASSERT_NO_FATAL_FAILURE(Import(p, out));
  EXPECT_THAT(p.ImageNames(), ElementsAre(name));
  auto row = ImageRow(p, name);
  ASSERT_GE(row.size(), 3u);
  EXPECT_EQ(row[1], kManifestType);
  EXPECT_EQ(row[2], image_.manifest);
  EXPECT_THAT(p.ContentDigests(), IsSupersetOf(image_.BlobDigests()));
  EXPECT_EQ(CheckStatus(p, name), Complete());
  for (const auto& d : image_.BlobDigests()) {
    auto r = p.Run({"content", "get", d});
    ASSERT_CTR_OK(r);
    EXPECT_EQ(Sha256Digest(r.out), d);
  }
}

TEST_F(ImagesTest, ExportOfUnknownImageFails) {
  auto r = ctr().Run({"images", "export", scratch_.Join("none.tar"), "docker.io/library/nothere:v1"});
  EXPECT_CTR_FAILS(r);
  EXPECT_THAT(r.err, HasSubstr("not found")) << r.Describe();
}

}  // namespace
}  // namespace berth::testing
