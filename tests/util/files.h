#pragma once
// Small file and hashing helpers for the integration tests.

#include <chrono>
#include <functional>
#include <string>

namespace berth::testing {

// A fresh directory under $BERTH_TEST_TMPDIR, $TMPDIR or /tmp, removed recursively on destruction
// (unless BERTH_TEST_KEEP=1, for debugging; the path is then printed).
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "berth-it");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string ReadFileOrDie(const std::string& path);
void WriteFileOrDie(const std::string& path, const std::string& data);
// The last `max_bytes` of a file ("" if it cannot be read).
std::string TailOfFile(const std::string& path, size_t max_bytes = 64 * 1024);

// "sha256:<64 lowercase hex>" of data.
std::string Sha256Digest(const std::string& data);
std::string Sha256DigestOfFile(const std::string& path);

// Deterministic pseudo-random bytes (not compressible), for blobs whose digest a test controls.
std::string RandomBytes(size_t size, uint64_t seed);

// Polls `condition` every `interval` until it is true or `timeout` passes; returns the last result.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
             std::chrono::milliseconds interval = std::chrono::milliseconds(50));

// go-units HumanSize as ctr prints it (decimal units, 4 significant digits): 2097152 -> "2.097MB".
std::string HumanSize(double bytes);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();

}  // namespace berth::testing
