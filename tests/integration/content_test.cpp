// Issue 2 acceptance: `ctr content fetch --plain-http`, `content ls/get/label/rm/active`, `content ingest` with
// a wrong expected digest, and per-namespace visibility of blobs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "tests/util/fixture.h"

namespace berth::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;

constexpr size_t kMiB = 1 << 20;

class ContentTest : public DaemonTest {
 protected:
  // Generates and pushes a small image, then `content fetch`es it into `c`'s namespace.
  void FetchImage(const Ctr& c, uint64_t seed, const std::string& repo) {
    if (image_.manifest.empty()) {
      ASSERT_NO_FATAL_FAILURE(MakeRegistryImage(
          {.name = "docker.io/library/" + repo + ":v1", .seed = seed, .layers = 2}, repo, &image_, &ref_));
    }
    auto r = c.Run({"content", "fetch", "--plain-http", ref_});
    ASSERT_CTR_OK(r);
  }

  // The LABELS column of `content ls` for digest (labels contain no spaces; AGE may).
  std::string LabelsOf(const Ctr& c, const std::string& digest) {
    auto r = c.Run({"content", "ls"});
    EXPECT_CTR_OK(r);
    auto fields = Fields(RowWithKey(r.out, digest));
    EXPECT_FALSE(fields.empty()) << digest << " not in `content ls`:\n" << r.out;
    return fields.empty() ? "" : fields.back();
  }

  GeneratedImage image_;
  std::string ref_;
};

TEST_F(ContentTest, FetchStoresEveryBlobAndGetReturnsItsBytes) {
  Ctr c = ctr();
  ASSERT_NO_FATAL_FAILURE(FetchImage(c, 21, "fetchme"));
  EXPECT_THAT(c.ContentDigests(), IsSupersetOf(image_.BlobDigests()));

  auto ls = c.Run({"content", "ls"});
  ASSERT_CTR_OK(ls);
  EXPECT_EQ(Fields(Lines(ls.out).at(0)), (std::vector<std::string>{"DIGEST", "SIZE", "AGE", "LABELS"}));
  for (const auto& blob : image_.blobs) {
    std::string bytes = GetBlobChecked(c, blob.digest);
    EXPECT_EQ(bytes.size(), blob.size) << blob.digest;
    auto row = Fields(RowWithKey(ls.out, blob.digest));
    ASSERT_GE(row.size(), 2u) << ls.out;
    EXPECT_EQ(row[1], HumanSize(static_cast<double>(blob.size))) << "SIZE of " << blob.digest;
  }
  // The manifest is the JSON the registry served, byte for byte.
  EXPECT_EQ(GetBlobChecked(c, image_.manifest),
            ReadFileOrDie(image_.layout_dir + "/blobs/sha256/" + image_.manifest.substr(7)));
}

TEST_F(ContentTest, GetOfUnknownDigestFailsWithNotFound) {
  auto r = ctr().Run({"content", "get", Sha256Digest("never stored")});
  EXPECT_CTR_FAILS(r);
  EXPECT_THAT(r.err, HasSubstr("not found")) << r.Describe();
  EXPECT_TRUE(r.out.empty());
}

TEST_F(ContentTest, LabelSetsAndRemovesLabels) {
  Ctr c = ctr();
  ASSERT_NO_FATAL_FAILURE(FetchImage(c, 22, "labelme"));
  const std::string& layer = image_.layers.at(0);

  ASSERT_CTR_OK(c.Run({"content", "label", layer, "berth.test/color=blue", "berth.test/size=xl"}));
  std::string labels = LabelsOf(c, layer);
  EXPECT_THAT(labels, HasSubstr("berth.test/color=blue"));
  EXPECT_THAT(labels, HasSubstr("berth.test/size=xl"));

  // Change one, remove one (`key=`).
  ASSERT_CTR_OK(c.Run({"content", "label", layer, "berth.test/color=red", "berth.test/size="}));
  labels = LabelsOf(c, layer);
  EXPECT_THAT(labels, HasSubstr("berth.test/color=red"));
  EXPECT_THAT(labels, Not(HasSubstr("berth.test/color=blue")));
  EXPECT_THAT(labels, Not(HasSubstr("berth.test/size")));

  // Other blobs are untouched.
  EXPECT_THAT(LabelsOf(c, image_.layers.at(1)), Not(HasSubstr("berth.test/")));

  // Labelling an unknown blob fails.
  auto unknown = c.Run({"content", "label", Sha256Digest("nope"), "a=b"});
  EXPECT_CTR_FAILS(unknown);
  EXPECT_THAT(unknown.err, HasSubstr("not found")) << unknown.Describe();
}

TEST_F(ContentTest, RmRemovesTheBlob) {
  Ctr c = ctr();
  ASSERT_NO_FATAL_FAILURE(FetchImage(c, 23, "removeme"));
  const std::string& layer = image_.layers.at(1);

  auto rm = c.Run({"content", "rm", layer});
  ASSERT_CTR_OK(rm);
  EXPECT_THAT(Lines(rm.out), Contains(layer));
  EXPECT_THAT(c.ContentDigests(), Not(Contains(layer)));
  auto get = c.Run({"content", "get", layer});
  EXPECT_CTR_FAILS(get);
  EXPECT_THAT(get.err, HasSubstr("not found")) << get.Describe();
  // The other blobs are still there and intact.
  for (const auto& other : image_.BlobDigests()) {
    if (other != layer) GetBlobChecked(c, other);
  }
  // Removing an unknown digest is skipped silently.
  EXPECT_CTR_OK(c.Run({"content", "rm", Sha256Digest("unknown")}));
}

TEST_F(ContentTest, IngestedBlobIsListedAndReadable) {
  Ctr c = ctr();
  std::string data = RandomBytes(3 * kMiB + 12345, 31);  // several 1 MiB write chunks and a short one
  std::string digest = IngestOrFail(c, "ingest-ref", data);
  EXPECT_THAT(c.ContentDigests(), Contains(digest));
  EXPECT_EQ(GetBlobChecked(c, digest), data);
  EXPECT_TRUE(c.ActiveIngests().empty());
}

TEST_F(ContentTest, ActiveShowsIngestInProgress) {
  Ctr c = ctr();
  std::string data = RandomBytes(2 * kMiB + 4096, 32);
  auto writer = StartSlowIngest(c, "slow-ref", data.substr(0, 2 * kMiB));
  ASSERT_TRUE(writer);

  std::string seen;
  EXPECT_TRUE(WaitForActive(c, "slow-ref", 2 * kMiB, &seen))
      << "`content active` should list slow-ref at offset " << HumanSize(2 * kMiB) << ", saw '" << seen
      << "'";
  // Not committed yet: the blob is not visible.
  EXPECT_THAT(c.ContentDigests(), Not(Contains(Sha256Digest(data))));

  // Finish the write: ctr commits and the ingest is no longer active.
  ASSERT_TRUE(writer->WriteStdin(data.substr(2 * kMiB)));
  writer->CloseStdin();
  auto status = writer->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(status.has_value()) << "ctr content ingest did not finish";
  EXPECT_EQ(DescribeWaitStatus(*status), "exited 0");
  std::string digest = Sha256Digest(data);
  ProtectFromGc(c, digest);
  EXPECT_THAT(c.ContentDigests(), Contains(digest));
  EXPECT_EQ(GetBlobChecked(c, digest), data);
  for (const auto& [ref, size] : c.ActiveIngests()) EXPECT_NE(ref, "slow-ref");
}

TEST_F(ContentTest, IngestWithWrongExpectedDigestFailsAndLeavesNoBlob) {
  Ctr c = ctr();
  std::string data = RandomBytes(1 * kMiB + 777, 33);
  std::string wrong = Sha256Digest("something else entirely");
  auto r = Ingest(c, "wrong-ref", data, wrong);
  EXPECT_CTR_FAILS(r);
  EXPECT_THAT(r.err, HasSubstr("failed precondition")) << r.Describe();

  auto digests = c.ContentDigests();
  EXPECT_THAT(digests, Not(Contains(Sha256Digest(data))));
  EXPECT_THAT(digests, Not(Contains(wrong)));
  auto get = c.Run({"content", "get", Sha256Digest(data)});
  EXPECT_CTR_FAILS(get);
  EXPECT_THAT(ExpectAllBlobsIntact(c), Not(Contains(Sha256Digest(data))));
}

TEST_F(ContentTest, IngestWithRightExpectedDigestSucceeds) {
  Ctr c = ctr();
  std::string data = RandomBytes(100000, 34);
  auto r = Ingest(c, "right-ref", data, Sha256Digest(data));
  ASSERT_CTR_OK(r);
  ProtectFromGc(c, Sha256Digest(data));
  EXPECT_EQ(GetBlobChecked(c, Sha256Digest(data)), data);
}

TEST_F(ContentTest, BlobsAreVisibleOnlyInTheirNamespace) {
  Ctr alpha = ctr("alpha");
  Ctr beta = ctr("beta");
  ASSERT_NO_FATAL_FAILURE(FetchImage(alpha, 24, "isolated"));
  ASSERT_CTR_OK(beta.Run({"namespaces", "create", "beta"}));

  EXPECT_THAT(alpha.ContentDigests(), IsSupersetOf(image_.BlobDigests()));
  auto in_beta = beta.ContentDigests();
  for (const auto& d : image_.BlobDigests()) EXPECT_THAT(in_beta, Not(Contains(d)));
  auto get = beta.Run({"content", "get", image_.manifest});
  EXPECT_CTR_FAILS(get);
  EXPECT_THAT(get.err, HasSubstr("not found")) << get.Describe();
  auto label = beta.Run({"content", "label", image_.manifest, "a=b"});
  EXPECT_CTR_FAILS(label);

  // The same blobs fetched into beta too; removing them from alpha leaves beta's intact.
  ASSERT_NO_FATAL_FAILURE(FetchImage(beta, 24, "isolated"));
  EXPECT_THAT(beta.ContentDigests(), IsSupersetOf(image_.BlobDigests()));
  for (const auto& d : image_.BlobDigests()) ASSERT_CTR_OK(alpha.Run({"content", "rm", d}));
  EXPECT_THAT(alpha.ContentDigests(), Not(Contains(image_.manifest)));
  for (const auto& d : image_.BlobDigests()) GetBlobChecked(beta, d);
}

}  // namespace
}  // namespace berth::testing
