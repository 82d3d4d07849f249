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

namespace berth::testing {

class DaemonTest : public ::testing::Test {
 protected:
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

  Daemon daemon_;
  TempDir scratch_{"berth-it-scratch"};
};

}  // namespace berth::testing
