// The content store contract: content-addressed blobs, written through resumable ingests named by a ref.
//
// Lifecycle of an ingest: Writer(ref) opens (or resumes) the ingest; Write appends; Commit verifies the size and
// digest and makes the blob visible atomically; Abort throws the ingest away. A blob is never visible before its
// digest is verified. One writer per ref at a time: a second Writer on a busy ref is Unavailable.
//
// Implementations: plugins/content/local (LocalStore: the blobs on disk, no namespaces or labels) and
// metadata/content_store (namespaces, labels, leases around a LocalStore). Both are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/context.h"
#include "base/labels.h"
#include "digest/digest.h"

namespace berth::content {

struct Info {
  Digest digest;
  int64_t size = 0;
  absl::Time created_at;
  absl::Time updated_at;
  Labels labels;
};

// An ingest in progress.
struct Status {
  std::string ref;
  int64_t offset = 0;  // bytes held so far
  int64_t total = 0;   // expected size, 0 if unknown
  std::optional<Digest> expected;
  absl::Time started_at;
  absl::Time updated_at;
};

struct WriterOptions {
  std::string ref;                 // required
  int64_t total = 0;               // expected size, 0 if unknown
  std::optional<Digest> expected;  // expected digest; if it is already stored, Writer is AlreadyExists
};

struct CommitOptions {
  int64_t size = 0;                // 0: do not check
  std::optional<Digest> expected;  // none: do not check
  Labels labels;
};

class Writer {
 public:
  virtual ~Writer() = default;
  // Appends `data` at the current offset.
  virtual absl::Status Write(std::string_view data) = 0;
  // Drops everything written so far (containerd: a WRITE at offset 0 restarts the ingest).
  virtual absl::Status Truncate() = 0;
  // Digest of the bytes written so far.
  virtual Digest RunningDigest() const = 0;
  virtual Status GetStatus() const = 0;
  // Verifies size and digest against `opts` (FailedPrecondition naming both digests on mismatch, the ingest is
  // kept) and makes the blob visible (AlreadyExists if it already was; the ingest is then removed).
  virtual absl::Status Commit(const CommitOptions& opts) = 0;
};

class Reader {
 public:
  virtual ~Reader() = default;
  virtual int64_t Size() const = 0;
  // Reads up to `buf.size()` bytes at `offset`; returns the count, 0 at the end.
  virtual absl::StatusOr<size_t> ReadAt(int64_t offset, std::span<char> buf) = 0;
};

// Filters use containerd's syntax (core/filters); empty means everything.
using Filters = std::vector<std::string>;

class Store {
 public:
  virtual ~Store() = default;

  virtual absl::StatusOr<Info> GetInfo(const Context& ctx, const Digest& digest) = 0;
  // `fieldpaths` empty: replace all labels; else only "labels" or "labels.<key>" paths (value "" deletes).
  virtual absl::StatusOr<Info> Update(const Context& ctx, const Info& info,
                                      const std::vector<std::string>& fieldpaths) = 0;
  virtual absl::Status Walk(const Context& ctx, const Filters& filters,
                            const std::function<absl::Status(const Info&)>& fn) = 0;
  virtual absl::Status Delete(const Context& ctx, const Digest& digest) = 0;
  virtual absl::StatusOr<std::unique_ptr<Reader>> OpenReader(const Context& ctx, const Digest& digest) = 0;

  virtual absl::StatusOr<Status> GetStatus(const Context& ctx, const std::string& ref) = 0;
  virtual absl::StatusOr<std::vector<Status>> ListStatuses(const Context& ctx, const Filters& filters) = 0;
  virtual absl::Status Abort(const Context& ctx, const std::string& ref) = 0;
  virtual absl::StatusOr<std::unique_ptr<Writer>> OpenWriter(const Context& ctx, const WriterOptions& opts) = 0;
};

}  // namespace berth::content
