#pragma once
// GoogleTest fixture for the integration tests: a fresh daemon per test, a scratch dir, and checks that many
// tests share (blob ingest, blob integrity, image fetch from the shared registry).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/util/ctr.h"
#include "tests/util/daemon.h"
#include "tests/util/files.h"
#include "tests/util/image.h"
#include "tests/util/registry.h"
#include "tests/util/tree.h"

namespace berth::testing {

class DaemonTest : public ::testing::Test {
 protected:
  DaemonTest() = default;
  explicit DaemonTest(Daemon::Options options) : daemon_(std::move(options)) {}
  void SetUp() override;

  // `ctr content ingest [--expected-digest D] REF` with `data` as stdin (via a file); returns the result.
  RunResult Ingest(const Ctr& ctr, const std::string& ref, const std::string& data,
                   const std::string& expected_digest = "");
  // Ingests `data`, asserts success and labels the blob containerd.io/gc.root (a blob that nothing references
  // is garbage to containerd's GC, and to berthd's); returns its digest.
  std::string IngestOrFail(const Ctr& ctr, const std::string& ref, const std::string& data);
  // `content label DIGEST containerd.io/gc.root=<now>`, asserting success.
  void ProtectFromGc(const Ctr& ctr, const std::string& digest);

  // Starts `ctr content ingest REF` reading from a pipe, writes `head` into it and keeps the pipe open: the
  // ingest stays in progress until the test writes the rest and closes stdin (or kills something).
  // ctr sends data in 1 MiB chunks, so `head` should be a multiple of 1 MiB to be seen by the daemon.
  std::optional<Child> StartSlowIngest(const Ctr& ctr, const std::string& ref, const std::string& head);
  // Waits (bounded) until `content active` lists ref with SIZE == HumanSize(offset); returns the last
  // SIZE seen for ref ("" if never listed) in *seen.
  bool WaitForActive(const Ctr& ctr, const std::string& ref, uint64_t offset, std::string* seen,
                     std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // For every digest `content ls -q` lists: `content get` succeeds and its bytes hash to the digest.
  // Returns the digests checked.
  std::vector<std::string> ExpectAllBlobsIntact(const Ctr& ctr);
  // `content get` of digest, asserting success and that the bytes hash to it; returns the bytes.
  std::string GetBlobChecked(const Ctr& ctr, const std::string& digest);

  // Generates an image (scratch dir) and pushes it to the shared registry as berth/<repo>.
  // Returns the pull reference 127.0.0.1:PORT/berth/<repo>:<tag> in *ref.
  void MakeRegistryImage(const ImageSpec& spec, const std::string& repo, GeneratedImage* image,
                         std::string* ref);

  Ctr ctr(const std::string& ns = "berth-it") const { return daemon_.ctr(ns); }
  // This build's `berth --address <daemon socket> --namespace <ns> ARGS...`.
  RunResult Berth(const std::vector<std::string>& args, const std::string& ns = "berth-it",
                  const RunOptions& options = {}) const;

  Daemon daemon_;
  TempDir scratch_{"berth-it-scratch"};
};

// For the suites of berthd's own services (berth df, fsck, gc, doctor): skipped when the tests run against
// containerd.
class BerthdServiceTest : public DaemonTest {
 protected:
  void SetUp() override {
    if (DaemonKindFromEnv() == DaemonKind::kContainerd) GTEST_SKIP() << "a service of berthd's own";
    DaemonTest::SetUp();
  }

  // Generates a 2-layer image (two files per layer, `layer_size` random bytes each layer, from `seed`), pushes
  // it to the test registry as docker.io/library/<repo>:v1 and pulls it with `berth pull`; returns its ref.
  std::string PullGeneratedImage(const std::string& repo, uint64_t seed, size_t layer_size, GeneratedImage* image);
};

// A DaemonTest with a real containerd beside the daemon under test (`peer_`, its reference behaviour, on its
// own temp root), and helpers to unpack and mount images on either and compare root filesystems.
// TearDown fails the test if anything is left mounted under the scratch dir or either daemon's dir.
class PeerDaemonTest : public DaemonTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  Ctr peer_ctr(const std::string& ns = "berth-it") const { return peer_.ctr(ns); }

  // `ctr images pull --plain-http [--snapshotter S] REF` (unpacks client-side), asserting success.
  void Pull(const Ctr& c, const std::string& ref, const std::string& snapshotter);
  // A mount of the image's unpacked root in a fresh dir under scratch, its tree snapshot, unmount.
  // overlayfs: `ctr images mount IMAGE` / `images unmount --rm`; other snapshotters (which ctr 1.6's
  // `images mount` ignores): `snapshots prepare KEY CHAIN_ID`, the mounts `snapshots mounts` prints,
  // `snapshots rm`.
  void MountedTree(const Ctr& c, const std::string& image, const std::string& chain_id,
                   const std::string& snapshotter, Tree* tree);
  // The UNPACKED column of `ctr images check [--snapshotter S]` for name ("" if not listed).
  std::string Unpacked(const Ctr& c, const std::string& name, const std::string& snapshotter);

  Daemon peer_{Daemon::Options{.kind = DaemonKind::kContainerd}};
};

}  // namespace berth::testing
