// Issue 2 acceptance: everything the other tests create (namespaces and labels, blobs and labels, leases,
// images) is still true after the daemon restarts, gracefully (SIGTERM) and after SIGKILL; and SIGKILL in the
// middle of a write leaves either a resumable ingest or none, never a blob whose bytes do not match its digest.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>

#include "tests/util/fixture.h"

namespace berth::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr size_t kMiB = 1 << 20;

enum class StopMode { kSigterm, kSigkill };

// What a client can observe of the daemon's state, as ctr prints it (ages and sizes excluded).
struct Observed {
  std::string namespaces;
  std::vector<std::string> blobs;
  std::string layer_labels;
  std::vector<std::string> images;  // "name digest"
  std::vector<std::string> image_checks;
  std::vector<std::string> leases;  // "id labels"
};

// `content ls` prints labels in map order; sort them to compare.
std::string SortedLabels(const std::string& joined) {
  std::vector<std::string> labels;
  std::string::size_type start = 0;
  while (start <= joined.size()) {
    auto comma = joined.find(',', start);
    if (comma == std::string::npos) comma = joined.size();
    labels.push_back(joined.substr(start, comma - start));
    start = comma + 1;
  }
  std::sort(labels.begin(), labels.end());
  std::string out;
  for (const auto& l : labels) out += (out.empty() ? "" : ",") + l;
  return out;
}

class RestartTest : public DaemonTest, public ::testing::WithParamInterface<StopMode> {
 protected:
  Observed Observe(const Ctr& c) {
    Observed o;
    auto ns = c.Run({"namespaces", "ls"});
    EXPECT_CTR_OK(ns);
    o.namespaces = ns.out;
    o.blobs = c.ContentDigests();
    std::sort(o.blobs.begin(), o.blobs.end());
    auto content = c.Run({"content", "ls"});
    EXPECT_CTR_OK(content);
    auto row = Fields(RowWithKey(content.out, registry_image_.layers.at(0)));
    o.layer_labels = row.empty() ? "<missing>" : SortedLabels(row.back());
    auto images = c.Run({"images", "ls"});
    EXPECT_CTR_OK(images);
    for (const auto& line : Lines(images.out)) {
      auto f = Fields(line);
      if (f.size() >= 3 && f[0] != "REF") o.images.push_back(f[0] + " " + f[2]);
    }
    std::sort(o.images.begin(), o.images.end());
    auto check = c.Run({"images", "check"});
    EXPECT_CTR_OK(check);
    for (const auto& line : Lines(check.out)) {
      auto f = Fields(line);
      if (f.size() >= 5 && f[0] != "REF") o.image_checks.push_back(f[0] + " " + f[3] + " " + f[4]);
    }
    std::sort(o.image_checks.begin(), o.image_checks.end());
    auto leases = c.Run({"leases", "ls"});
    EXPECT_CTR_OK(leases);
    for (const auto& line : Lines(leases.out)) {
      auto f = Fields(line);
      if (f.size() == 3 && f[0] != "ID") o.leases.push_back(f[0] + " " + f[2]);
    }
    std::sort(o.leases.begin(), o.leases.end());
    return o;
  }

  void StopAndStart() {
    if (GetParam() == StopMode::kSigterm) {
      ASSERT_TRUE(daemon_.Restart());
    } else {
      ASSERT_TRUE(daemon_.Kill());
      ASSERT_TRUE(daemon_.Start());
    }
  }

  GeneratedImage registry_image_;
  GeneratedImage archive_image_;
};

TEST_P(RestartTest, StateSurvives) {
  Ctr c = ctr("keep");
  // Namespaces with labels, one removed.
  ASSERT_CTR_OK(c.Run({"namespaces", "create", "keep", "owner=ops"}));
  ASSERT_CTR_OK(c.Run({"namespaces", "label", "keep", "zone=eu"}));
  ASSERT_CTR_OK(c.Run({"namespaces", "create", "gone"}));
  ASSERT_CTR_OK(c.Run({"namespaces", "rm", "gone"}));
  // Blobs from a registry fetch, one labelled; an ingested blob.
  std::string ref;
  ASSERT_NO_FATAL_FAILURE(MakeRegistryImage({.name = "docker.io/library/durable:v1", .seed = 51},
                                            "durable", &registry_image_, &ref));
  ASSERT_CTR_OK(c.Run({"content", "fetch", "--plain-http", ref}));
  ASSERT_CTR_OK(c.Run({"content", "label", registry_image_.layers.at(0), "berth.test/pin=yes"}));
  std::string ingested = IngestOrFail(c, "durable-blob", RandomBytes(kMiB + 3, 52));
  // Images: imported, tagged, one removed.
  ASSERT_TRUE(GenerateImage({.name = "docker.io/library/archived:v1", .seed = 53},
                            scratch_.Join("archived"), &archive_image_));
  ASSERT_CTR_OK(c.Run({"images", "import", "--no-unpack", archive_image_.archive}));
  ASSERT_CTR_OK(c.Run({"images", "tag", "docker.io/library/archived:v1", "docker.io/library/archived:v2"}));
  ASSERT_CTR_OK(c.Run({"images", "tag", "docker.io/library/archived:v1", "docker.io/library/archived:tmp"}));
  ASSERT_CTR_OK(c.Run({"images", "rm", "docker.io/library/archived:tmp"}));
  // Leases, one removed.
  ASSERT_CTR_OK(c.Run({"leases", "create", "--id", "keeper", "--expires", "0", "purpose=restart"}));
  ASSERT_CTR_OK(c.Run({"leases", "create", "--id", "dropped"}));
  // --sync: containerd collects garbage before answering (here the imported index.json blob, which nothing
  // references), so the state observed below is settled and no collection runs across the restart.
  ASSERT_CTR_OK(c.Run({"leases", "rm", "--sync", "dropped"}));

  Observed before = Observe(c);
  // Sanity: the state is what the steps above made, so the comparison below means something.
  EXPECT_EQ(Fields(RowWithKey(before.namespaces, "keep")),
            (std::vector<std::string>{"keep", "owner=ops,zone=eu"}));
  EXPECT_EQ(RowWithKey(before.namespaces, "gone"), "");
  EXPECT_THAT(before.blobs, IsSupersetOf(registry_image_.BlobDigests()));
  EXPECT_THAT(before.blobs, IsSupersetOf(archive_image_.BlobDigests()));
  EXPECT_THAT(before.blobs, Contains(ingested));
  EXPECT_THAT(before.layer_labels, HasSubstr("berth.test/pin=yes"));
  EXPECT_THAT(before.images, IsSupersetOf({"docker.io/library/archived:v1 " + archive_image_.manifest,
                                           "docker.io/library/archived:v2 " + archive_image_.manifest}));
  EXPECT_THAT(before.images, Not(Contains("docker.io/library/archived:tmp " + archive_image_.manifest)));
  EXPECT_THAT(before.leases, ElementsAre("keeper purpose=restart"));

  ASSERT_NO_FATAL_FAILURE(StopAndStart());

  Observed after = Observe(c);
  EXPECT_EQ(after.namespaces, before.namespaces);
  EXPECT_EQ(after.blobs, before.blobs);
  EXPECT_EQ(after.layer_labels, before.layer_labels);
  EXPECT_EQ(after.images, before.images);
  EXPECT_EQ(after.image_checks, before.image_checks);
  EXPECT_EQ(after.leases, before.leases);
  ExpectAllBlobsIntact(c);

  // Still writable: the daemon works normally after the restart.
  ASSERT_CTR_OK(c.Run({"leases", "create", "--id", "after-restart"}));
  ASSERT_CTR_OK(c.Run({"namespaces", "label", "keep", "restarted=yes"}));
}

TEST_P(RestartTest, IngestInterruptedByDaemonStopResumesOrIsDiscarded) {
  Ctr c = ctr();
  std::string data = RandomBytes(3 * kMiB + 100, 54);
  std::string digest = Sha256Digest(data);
  auto writer = StartSlowIngest(c, "crash-ref", data.substr(0, 2 * kMiB));
  ASSERT_TRUE(writer);
  std::string seen;
  ASSERT_TRUE(WaitForActive(c, "crash-ref", 2 * kMiB, &seen)) << "saw '" << seen << "'";

  // The daemon goes away mid-write; then the writer finds out (EOF on its stdin makes it send and commit).
  if (GetParam() == StopMode::kSigterm) {
    ASSERT_TRUE(daemon_.Stop());
  } else {
    ASSERT_TRUE(daemon_.Kill());
  }
  writer->CloseStdin();
  auto status = writer->Wait(std::chrono::seconds(60));
  if (!status) writer->KillAndReap();
  ASSERT_TRUE(status.has_value()) << "ctr content ingest hung after the daemon died";
  EXPECT_NE(DescribeWaitStatus(*status), "exited 0") << "the interrupted ingest cannot have succeeded";
  ASSERT_TRUE(daemon_.Start());

  // Either the partial ingest is still there (and says how far it got) or it was discarded.
  bool resumable = false;
  for (const auto& [ref, size] : c.ActiveIngests()) {
    if (ref == "crash-ref") {
      resumable = true;
      std::cerr << "[ info     ] after restart crash-ref is active at " << size << "\n";
    }
  }
  // No blob from the partial data, and every visible blob is intact.
  auto blobs = ExpectAllBlobsIntact(c);
  EXPECT_THAT(blobs, Not(Contains(digest)));
  EXPECT_THAT(blobs, Not(Contains(Sha256Digest(data.substr(0, kMiB)))));
  EXPECT_THAT(blobs, Not(Contains(Sha256Digest(data.substr(0, 2 * kMiB)))));

  // Writing the same ref again with all the data completes with the right digest (resuming if it can).
  auto again = Ingest(c, "crash-ref", data, digest);
  ASSERT_CTR_OK(again) << (resumable ? "resuming the partial ingest" : "re-ingesting from scratch");
  ProtectFromGc(c, digest);
  EXPECT_EQ(GetBlobChecked(c, digest), data);
  for (const auto& [ref, size] : c.ActiveIngests()) EXPECT_NE(ref, "crash-ref");
  ExpectAllBlobsIntact(c);
}

TEST_P(RestartTest, CommittedBlobSurvivesImmediateStop) {
  // A blob acknowledged by commit is durable even if the daemon dies right after.
  Ctr c = ctr();
  std::vector<std::string> digests;
  for (int i = 0; i < 3; ++i) {
    digests.push_back(IngestOrFail(c, "quick-" + std::to_string(i), RandomBytes(256 * 1024 + i, 60 + i)));
  }
  ASSERT_NO_FATAL_FAILURE(StopAndStart());
  EXPECT_THAT(c.ContentDigests(), IsSupersetOf(digests));
  ExpectAllBlobsIntact(c);
}

INSTANTIATE_TEST_SUITE_P(, RestartTest, ::testing::Values(StopMode::kSigterm, StopMode::kSigkill),
                         [](const ::testing::TestParamInfo<StopMode>& info) {
                           return info.param == StopMode::kSigterm ? "Sigterm" : "Sigkill";
                         });

}  // namespace
}  // namespace berth::testing
