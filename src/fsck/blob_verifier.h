// Reads every blob and compares it with its digest and recorded size, on `threads` threads (blob hashing is
// CPU-bound with SHA-NI only on fast disks; two threads keep both cores busy on the slow path).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/content/content.h"

namespace berth::fsck {

struct BlobFault {
  content::Info info;        // as the store lists it
  int64_t actual_size = 0;   // bytes read
  std::string actual_digest;  // of the bytes read; empty if reading failed
  std::string error;          // a read error, if any
};

// `done(n)` is called after each blob from one thread at a time. Returns the damaged blobs, sorted by digest.
absl::StatusOr<std::vector<BlobFault>> VerifyBlobs(content::Store& store, const std::vector<content::Info>& blobs,
                                                   int threads, const std::function<void(int64_t done)>& done);

// One blob: nullopt if it is intact.
std::optional<BlobFault> VerifyBlob(content::Store& store, const content::Info& info);

}  // namespace berth::fsck
