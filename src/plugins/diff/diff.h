// The diff contracts, as containerd's diff.Applier and diff.Comparer: a layer blob applied onto mounts, and two
// mount sets compared into a new layer blob. Both are stateless over a content store and safe to call
// concurrently on different mounts; callers serialise work on one snapshot (the snapshotter's active key does).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/context.h"
#include "base/labels.h"
#include "core/mount/mount.h"
#include "oci/descriptor.h"

namespace berth::diff {

inline constexpr std::string_view kMediaTypeLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kMediaTypeLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kMediaTypeLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
// The label containerd puts on a compressed layer blob: the digest of its uncompressed tar (the diff_id).
inline constexpr std::string_view kUncompressedLabel = "containerd.io/uncompressed";

class Applier {
 public:
  virtual ~Applier() = default;
  // Reads `layer` from the content store, decompresses it by media type, and extracts it onto `mounts` with
  // OCI whiteouts. Returns the uncompressed tar's descriptor: {kMediaTypeLayer, diff_id, uncompressed size}.
  // Unimplemented for a media type that is not a layer; InvalidArgument for a malformed or malicious layer
  // (nothing outside the mounts' root is ever touched); Cancelled when ctx is.
  virtual absl::StatusOr<oci::Descriptor> Apply(const Context& ctx, const oci::Descriptor& layer,
                                                const std::vector<mount::Mount>& mounts) = 0;
};

struct DiffOptions {
  std::string media_type;  // empty: kMediaTypeLayerGzip; kMediaTypeLayer and +gzip are supported
  std::string ref;         // content store ingest ref; empty: "diff-<random>"
  Labels labels;           // set on the committed blob, with kUncompressedLabel added
};

class Comparer {
 public:
  virtual ~Comparer() = default;
  // Writes the changes that turn `lower` into `upper` as an OCI layer into the content store and returns its
  // descriptor.
  virtual absl::StatusOr<oci::Descriptor> Compare(const Context& ctx, const std::vector<mount::Mount>& lower,
                                                  const std::vector<mount::Mount>& upper,
                                                  const DiffOptions& opts) = 0;
};

}  // namespace berth::diff
