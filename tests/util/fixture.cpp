#include "tests/util/fixture.h"

#include <gmock/gmock.h>

#include <atomic>
#include <iostream>

#include "tests/util/mounts.h"

namespace berth::testing {

void DaemonTest::SetUp() {
  ASSERT_TRUE(daemon_.Start());
  std::cerr << "[ daemon   ] " << daemon_.kind_name() << " on " << daemon_.socket() << "\n";
}

RunResult DaemonTest::Ingest(const Ctr& ctr, const std::string& ref, const std::string& data,
                             const std::string& expected_digest) {
  static std::atomic<int> counter{0};
  std::string path = scratch_.Join("ingest-" + std::to_string(counter++));
  WriteFileOrDie(path, data);
  std::vector<std::string> args = {"content", "ingest"};
  if (!expected_digest.empty()) {
    args.push_back("--expected-digest");
    args.push_back(expected_digest);
  }
  args.push_back(ref);
  return ctr.RunWithStdinFile(args, path);
}

std::string DaemonTest::IngestOrFail(const Ctr& ctr, const std::string& ref, const std::string& data) {
  auto r = Ingest(ctr, ref, data);
  EXPECT_CTR_OK(r);
  std::string digest = Sha256Digest(data);
  if (r.ok()) ProtectFromGc(ctr, digest);
  return digest;
}

void DaemonTest::ProtectFromGc(const Ctr& ctr, const std::string& digest) {
  auto r = ctr.Run({"content", "label", digest, "containerd.io/gc.root=2000-01-01T00:00:00Z"});
  EXPECT_CTR_OK(r);
}

std::optional<Child> DaemonTest::StartSlowIngest(const Ctr& ctr, const std::string& ref,
                                                 const std::string& head) {
  std::string error;
  auto child = ctr.Start({"content", "ingest", ref}, scratch_.Join("slow-ingest-" + ref + ".log"), &error);
  EXPECT_TRUE(child.has_value()) << error;
  if (!child) return std::nullopt;
  EXPECT_TRUE(child->WriteStdin(head)) << "ctr did not take " << head.size() << " bytes on stdin";
  return child;
}

bool DaemonTest::WaitForActive(const Ctr& ctr, const std::string& ref, uint64_t offset,
                               std::string* seen, std::chrono::milliseconds timeout) {
  std::string want = HumanSize(static_cast<double>(offset));
  seen->clear();
  return WaitFor(
      [&] {
        for (const auto& [active_ref, size] : ctr.ActiveIngests()) {
          if (active_ref == ref) {
            *seen = size;
            return size == want;
          }
        }
        return false;
      },
      timeout, std::chrono::milliseconds(100));
}

std::string DaemonTest::GetBlobChecked(const Ctr& ctr, const std::string& digest) {
  auto r = ctr.Run({"content", "get", digest});
  EXPECT_TRUE(r.ok()) << r.Describe();
  if (!r.ok()) return "";
  EXPECT_EQ(Sha256Digest(r.out), digest)
      << "`content get " << digest << "` returned " << r.out.size() << " bytes of other content";
  return r.out;
}

std::vector<std::string> DaemonTest::ExpectAllBlobsIntact(const Ctr& ctr) {
  auto digests = ctr.ContentDigests();
  for (const auto& d : digests) GetBlobChecked(ctr, d);
  return digests;
}

RunResult DaemonTest::Berth(const std::vector<std::string>& args, const std::string& ns,
                             const RunOptions& options) const {
  std::vector<std::string> argv = {std::string(BERTH_BIN_DIR) + "/berth", "--address", daemon_.socket(),
                                   "--namespace", ns};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, options);
}

std::string BerthdServiceTest::PullGeneratedImage(const std::string& repo, uint64_t seed, size_t layer_size,
                                                  GeneratedImage* image) {
  std::string ref;
  MakeRegistryImage({.name = "docker.io/library/" + repo + ":v1", .seed = seed, .layers = 2, .files = 2,
                     .layer_size = layer_size},
                    repo, image, &ref);
  RunResult pulled = Berth({"pull", "--plain-http", ref});
  EXPECT_TRUE(pulled.ok()) << pulled.Describe();
  return ref;
}

void DaemonTest::MakeRegistryImage(const ImageSpec& spec, const std::string& repo,
                                   GeneratedImage* image, std::string* ref) {
  std::string error;
  Registry* registry = SharedRegistry(&error);
  ASSERT_NE(registry, nullptr) << error;
  ImageSpec s = spec;
  s.archive = false;
  ASSERT_TRUE(GenerateImage(s, scratch_.Join("image-" + repo), image));
  ASSERT_TRUE(PushImage(*image, *registry, "berth/" + repo, ref));
}

void PeerDaemonTest::SetUp() {
  DaemonTest::SetUp();
  if (HasFatalFailure()) return;
  ASSERT_TRUE(peer_.Start());
  std::cerr << "[ peer     ] containerd on " << peer_.socket() << "\n";
}

void PeerDaemonTest::TearDown() {
  for (const std::string& dir : {scratch_.path(), daemon_.dir(), peer_.dir()}) {
    auto left = MountPointsUnder(dir);
    EXPECT_THAT(left, ::testing::IsEmpty()) << "mounts leaked under " << dir;
    UnmountAllUnder(dir);
  }
}

void PeerDaemonTest::Pull(const Ctr& c, const std::string& ref, const std::string& snapshotter) {
  std::vector<std::string> args = {"images", "pull", "--plain-http"};
  if (!snapshotter.empty()) args.insert(args.end(), {"--snapshotter", snapshotter});
  args.push_back(ref);
  RunOptions options;
  options.timeout = std::chrono::minutes(3);
  auto r = c.Run(args, options);
  ASSERT_CTR_OK(r);
}

void PeerDaemonTest::MountedTree(const Ctr& c, const std::string& image, const std::string& chain_id,
                                 const std::string& snapshotter, Tree* tree) {
  static std::atomic<int> counter{0};
  std::string name = "mnt-" + std::to_string(counter++);
  std::string target = scratch_.Join(name);
  if (snapshotter == "overlayfs") {
    ImageMount mount;
    ASSERT_TRUE(ImageMount::Mount(c, image, target, &mount));
    ASSERT_TRUE(SnapshotTree(target, tree));
    ASSERT_TRUE(mount.Unmount());
    return;
  }
  // `snapshots prepare` rather than `view`: ctr labels the former containerd.io/gc.root, while an unlabelled view
  // is garbage that containerd's GC may collect while it is mounted.
  std::string key = "berth-it-mount-" + name;
  auto view = c.Run({"snapshots", "--snapshotter", snapshotter, "prepare", key, chain_id});
  ASSERT_CTR_OK(view);
  {
    SnapshotMount mount;
    EXPECT_TRUE(SnapshotMount::Mount(c, snapshotter, key, target, &mount));
    if (!mount.path().empty()) {
      EXPECT_TRUE(SnapshotTree(target, tree));
    }
    EXPECT_TRUE(mount.Unmount());
  }
  EXPECT_CTR_OK(c.Run({"snapshots", "--snapshotter", snapshotter, "rm", key}));
}

std::string PeerDaemonTest::Unpacked(const Ctr& c, const std::string& name, const std::string& snapshotter) {
  std::vector<std::string> args = {"images", "check"};
  if (!snapshotter.empty()) args.insert(args.end(), {"--snapshotter", snapshotter});
  auto r = c.Run(args);
  EXPECT_CTR_OK(r);
  auto row = Fields(RowWithKey(r.out, name));
  return row.empty() ? "" : row.back();
}

}  // namespace berth::testing
