// Issue 3 acceptance for `berth pull` (server-side pull): each blob fetched once by concurrent pulls, a
// connection cut mid-blob resumed, wrong bytes refused naming the digest, and a SIGKILL mid-pull leaving nothing
// half-pulled behind; the transfer metrics served at /v1/metrics count what happened.
// (The tree and labels a `berth pull` gives are compared with containerd's in pull_test.cpp.)

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/util/fixture.h"
#include "tests/util/helper_server.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class BerthPullTest : public DaemonTest {
 protected:
  BerthPullTest() : DaemonTest(Options()) {}

  static int& MetricsPort() {
    static int port = 0;
    return port;
  }
  static Daemon::Options Options() {
    MetricsPort() = FreeLoopbackPort();
    return {.extra_args = {"--metrics-address", "127.0.0.1:" + std::to_string(MetricsPort())}};
  }

  void SetUp() override {
    if (DaemonKindFromEnv() == DaemonKind::kContainerd) GTEST_SKIP() << "berth pull is berthd's own service";
    DaemonTest::SetUp();
    ASSERT_TRUE(registry_.Start());
  }

  // Generates an image with `layers` incompressible layers of `layer_size` bytes and pushes it to this test's
  // registry as berth/<repo>.
  void PushImage(const std::string& repo, int layers, size_t layer_size, GeneratedImage* image, std::string* ref) {
    ASSERT_TRUE(GenerateImage({.name = "docker.io/library/" + repo + ":v1", .seed = 400 + layers, .layers = layers,
                               .files = 2, .layer_size = layer_size, .archive = false},
                              scratch_.Join(repo), image));
    ASSERT_TRUE(berth::testing::PushImage(*image, registry_, "berth/" + repo, ref));
  }

  // GETs of /v2/berth/<repo>/blobs/<digest> the registry answered with 200 or 206.
  int BlobFetches(const std::string& repo, const std::string& digest) {
    std::ifstream log(registry_.log_path());
    std::string line;
    int n = 0;
    const std::string request = "\"GET /v2/berth/" + repo + "/blobs/" + digest + " HTTP/1.1\" 20";
    while (std::getline(log, line)) n += line.find(request) != std::string::npos;
    return n;
  }

  int64_t ImageBytes(const GeneratedImage& image) {
    int64_t bytes = 0;
    for (const auto& b : image.blobs) bytes += static_cast<int64_t>(b.size);
    return bytes;
  }

  std::string Metrics() {
    RunResult r = RunCommand({"python3", "-c",
                              "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen("
                              "'http://127.0.0.1:" + std::to_string(MetricsPort()) + "/v1/metrics').read().decode())"});
    EXPECT_TRUE(r.ok()) << r.Describe();
    return r.out;
  }
  // The value of one sample line `name{labels} value`, -1 if absent.
  double Sample(const std::string& metrics, const std::string& series) {
    std::istringstream in(metrics);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    return -1;
  }

  Registry registry_{/*access_log=*/true};
};

TEST_F(BerthPullTest, ConcurrentPullsInTwoNamespacesFetchEachBlobOnce) {
  GeneratedImage image;
  std::string ref;
  ASSERT_NO_FATAL_FAILURE(PushImage("shared", 3, 6 << 20, &image, &ref));
  std::vector<Child> pulls;
  std::vector<std::string> logs;
  for (int i = 0; i < 4; ++i) {
    logs.push_back(scratch_.Join("pull" + std::to_string(i) + ".log"));
    std::string error;
    auto child = Child::Start({std::string(BERTH_BIN_DIR) + "/berth", "--address", daemon_.socket(), "--namespace",
                               i % 2 == 0 ? "ns-a" : "ns-b", "pull", "--plain-http", ref},
                              {.log_path = logs.back()}, &error);
    ASSERT_TRUE(child.has_value()) << error;
    pulls.push_back(std::move(*child));
  }
  for (size_t i = 0; i < pulls.size(); ++i) {
    auto status = pulls[i].Wait(std::chrono::seconds(120));
    ASSERT_TRUE(status.has_value()) << "berth pull " << i << " did not finish";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << TailOfFile(logs[i], 4096);
  }
  // Blobs go through /blobs/ (config and layers); each was fetched once for all four pulls.
  std::vector<std::string> blobs = image.layers;
  blobs.push_back(image.config);
  for (const std::string& digest : blobs) {
    EXPECT_EQ(BlobFetches("shared", digest), 1) << digest << "\n" << TailOfFile(registry_.log_path(), 8192);
  }
  for (const char* ns : {"ns-a", "ns-b"}) {
    EXPECT_THAT(ctr(ns).ImageNames(), ::testing::ElementsAre(ref));
    auto check = ctr(ns).Run({"images", "check"});
    ASSERT_CTR_OK(check);
    EXPECT_THAT(check.out, HasSubstr("complete")) << check.out;
    ExpectAllBlobsIntact(ctr(ns));
  }
  // Manifests too are fetched once.
  std::string m = Metrics();
  EXPECT_EQ(Sample(m, "berth_transfer_blobs_total"), static_cast<double>(image.blobs.size())) << m;
  EXPECT_EQ(Sample(m, "berth_transfer_bytes_total"), static_cast<double>(ImageBytes(image))) << m;
  EXPECT_EQ(Sample(m, "berth_pull_duration_seconds_count"), 4) << m;
  EXPECT_THAT(m, HasSubstr("berth_grpc_requests_total{method=\"/berth.services.pull.v1.Pull/Pull\",code=\"OK\"} 4"));
}

TEST_F(BerthPullTest, ConnectionCutMidBlobIsRetriedAndResumed) {
  GeneratedImage image;
  std::string ref;
  ASSERT_NO_FATAL_FAILURE(PushImage("cut", 2, 4 << 20, &image, &ref));
  HelperServer proxy;
  // Both layers are cut after 1 MiB once (the config, fetched first, is too small to be cut: hence 3 times).
  ASSERT_TRUE(proxy.Start("fault_proxy.py", {"--upstream", registry_.host(), "--fault", "cut", "--match", "/blobs/",
                                             "--after", std::to_string(1 << 20), "--times", "3"}));
  std::string via = proxy.host() + "/berth/cut:v1";
  RunResult pulled = Berth({"pull", "--plain-http", via});
  ASSERT_TRUE(pulled.ok()) << pulled.Describe() << proxy.log() << daemon_.LogTail();
  EXPECT_THAT(pulled.out, HasSubstr(via + ": " + image.manifest));
  ExpectAllBlobsIntact(ctr());
  auto check = ctr().Run({"images", "check"});
  ASSERT_CTR_OK(check);
  EXPECT_THAT(check.out, HasSubstr("complete"));
  std::string m = Metrics();
  double retries = 0;  // by any reason: a cut shows as an early end of the body or a reset
  std::istringstream lines(m);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("berth_transfer_retries_total{", 0) == 0) retries += std::stod(line.substr(line.rfind(' ') + 1));
  }
  EXPECT_GE(retries, 2) << m;
  // Resumed, not restarted: the bytes fetched are the blobs' sizes, not more (Range picked up at the cut).
  EXPECT_EQ(Sample(m, "berth_transfer_bytes_total"), static_cast<double>(ImageBytes(image))) << m;
}

TEST_F(BerthPullTest, WrongBytesFailNamingTheDigestAndCommitNothing) {
  GeneratedImage image;
  std::string ref;
  ASSERT_NO_FATAL_FAILURE(PushImage("corrupt", 2, 1 << 20, &image, &ref));
  const std::string bad = image.layers[1];
  {  // flip one byte in the registry's copy: it serves the blob as stored
    std::fstream f(registry_.BlobDataPath(bad), std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good()) << registry_.BlobDataPath(bad);
    f.seekg(1000);
    char c;
    f.get(c);
    f.seekp(1000);
    f.put(static_cast<char>(c ^ 0x5a));
  }
  RunResult pulled = Berth({"pull", "--plain-http", ref});
  EXPECT_NE(pulled.exit_code, 0) << pulled.Describe();
  EXPECT_THAT(pulled.err, HasSubstr(bad)) << pulled.Describe();
  EXPECT_THAT(pulled.err, HasSubstr(registry_.host()));
  EXPECT_THAT(ctr().ContentDigests(), ::testing::Not(::testing::Contains(bad)));
  EXPECT_THAT(ctr().ImageNames(), IsEmpty());
  auto active = ctr().Run({"content", "active"});
  ASSERT_CTR_OK(active);
  EXPECT_THAT(active.out, ::testing::Not(HasSubstr(bad))) << "the corrupt bytes stayed as an ingest";
  auto snapshots = ctr().Run({"snapshots", "ls"});
  ASSERT_CTR_OK(snapshots);
  EXPECT_THAT(snapshots.out, ::testing::Not(HasSubstr(image.diff_ids[1]))) << snapshots.out;
  EXPECT_GE(Sample(Metrics(), "berth_transfer_failures_total{reason=\"digest_mismatch\"}"), 1);
}

TEST_F(BerthPullTest, SigkillMidPullLeavesNothingHalfPulledAndThePullCompletesAfterRestart) {
  GeneratedImage image;
  std::string ref;
  ASSERT_NO_FATAL_FAILURE(PushImage("killed", 3, 4 << 20, &image, &ref));
  // Every blob stalls after 1 MiB: berthd is killed while all layers are half fetched and half unpacked.
  HelperServer proxy;
  ASSERT_TRUE(proxy.Start("fault_proxy.py", {"--upstream", registry_.host(), "--fault", "stall", "--match",
                                             "/blobs/sha256:(?!" + image.config.substr(7) + ")", "--after",
                                             std::to_string(1 << 20), "--times", "100", "--stall-seconds", "60"}));
  std::string via = proxy.host() + "/berth/killed:v1";
  std::string error;
  auto pull = Child::Start({std::string(BERTH_BIN_DIR) + "/berth", "--address", daemon_.socket(), "--namespace",
                            "berth-it", "pull", "--plain-http", via},
                           {.log_path = scratch_.Join("pull.log")}, &error);
  ASSERT_TRUE(pull.has_value()) << error;
  bool underway = WaitFor([&] {
    auto active = ctr().Run({"content", "active"});
    return active.ok() && Lines(active.out).size() > image.layers.size();  // header + one ingest per layer
  }, std::chrono::seconds(30), std::chrono::milliseconds(100));
  ASSERT_TRUE(underway) << ctr().Run({"content", "active"}).out << daemon_.LogTail();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(daemon_.Kill());
  pull->Wait(std::chrono::seconds(10));

  ASSERT_TRUE(daemon_.Start());
  // The interrupted pull's lease is dropped at start and gc takes what it left: no extraction snapshot, no
  // layer blob, no image.
  bool clean = WaitFor([&] {
    auto snapshots = ctr().Run({"snapshots", "ls"});
    auto active = ctr().Run({"content", "active"});
    return snapshots.ok() && Lines(snapshots.out).size() <= 1 && ctr().ImageNames().empty() && active.ok() &&
           Lines(active.out).size() <= 1;
  }, std::chrono::seconds(20), std::chrono::milliseconds(200));
  EXPECT_TRUE(clean) << ctr().Run({"snapshots", "ls"}).out << ctr().Run({"content", "active"}).out
                     << daemon_.LogTail();
  for (const std::string& layer : image.layers) {
    EXPECT_THAT(ctr().ContentDigests(), ::testing::Not(::testing::Contains(layer)));
  }
  // Straight from the registry this time: the pull completes.
  RunResult pulled = Berth({"pull", "--plain-http", ref});
  ASSERT_TRUE(pulled.ok()) << pulled.Describe();
  auto check = ctr().Run({"images", "check"});
  ASSERT_CTR_OK(check);
  EXPECT_THAT(check.out, HasSubstr("complete"));
  ExpectAllBlobsIntact(ctr());
}

TEST_F(BerthPullTest, UnknownImageFailsWithAClearMessage) {
  RunResult pulled = Berth({"pull", "--plain-http", registry_.host() + "/berth/absent:v1"});
  EXPECT_EQ(pulled.exit_code, 1) << pulled.Describe();
  EXPECT_THAT(pulled.err, HasSubstr("berth/absent")) << pulled.Describe();
  EXPECT_THAT(pulled.err, HasSubstr("not found")) << pulled.Describe();
}

}  // namespace
}  // namespace berth::testing
