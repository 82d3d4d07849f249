// Streaming decompression of layer blobs: media type → compression, and gzip (isa-l igzip) / zstd readers.
#pragma once

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "plugins/diff/byte_reader.h"

namespace berth::diff {

enum class Compression {
  kNone,    // a plain tar, read as is
  kGzip,
  kZstd,
  kDetect,  // a Docker media type that may be compressed anyway: decide by the magic number
};

// containerd's images.DiffCompression: which decompression a layer media type asks for. Docker's compressed
// and OCI's +gzip/+zstd types also sniff the magic number at open (containerd's DecompressStream does), so a
// mislabelled blob still applies. Unimplemented naming the media type for anything that is not a layer.
absl::StatusOr<Compression> CompressionOf(std::string_view media_type);

// Wraps `in` (not owned; must outlive the result) in the decompressor `c` asks for. Errors while reading name
// `what` (the blob digest): a truncated or corrupt stream is DataLoss.
absl::StatusOr<std::unique_ptr<ByteReader>> OpenDecompressor(Compression c, ByteReader* in, std::string what);

}  // namespace berth::diff
