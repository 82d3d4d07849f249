// A pull stream of bytes: the seam between the content store, the decompressors and the tar parser.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "core/content/content.h"

namespace berth::diff {

class ByteReader {
 public:
  virtual ~ByteReader() = default;
  // Fills up to `buf.size()` bytes; 0 means the end of the stream (never a short read mid-stream meaning EOF).
  virtual absl::StatusOr<size_t> Read(std::span<char> buf) = 0;
};

// Reads a blob sequentially through content::Reader::ReadAt.
class ContentByteReader final : public ByteReader {
 public:
  ContentByteReader(content::Reader* reader, std::string name) : reader_(reader), name_(std::move(name)) {}
  absl::StatusOr<size_t> Read(std::span<char> buf) override;

 private:
  content::Reader* reader_;
  std::string name_;  // the blob's digest, for errors
  int64_t offset_ = 0;
};

// Replays `prefix` (bytes already taken from `inner` to sniff a magic number), then reads `inner`.
class PrefixedReader final : public ByteReader {
 public:
  PrefixedReader(std::string prefix, ByteReader* inner) : prefix_(std::move(prefix)), inner_(inner) {}
  absl::StatusOr<size_t> Read(std::span<char> buf) override;

 private:
  std::string prefix_;
  size_t consumed_ = 0;
  ByteReader* inner_;
};

// Reads up to `n` bytes, fewer only at the end of the stream.
absl::StatusOr<std::string> ReadUpTo(ByteReader& in, size_t n);

}  // namespace berth::diff
