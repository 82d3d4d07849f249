// diff::Comparer by walking two trees (containerd's diff/walking): both mount sets are mounted read-only on
// temporary directories (a lone bind mount is read in place), compared, and the tar is compressed and hashed
// on its way into a content store ingest.
#pragma once

#include <string>

#include "core/content/content.h"
#include "plugins/diff/diff.h"

namespace berth::diff {

struct WalkingDifferOptions {
  std::string temp_mount_dir = "/tmp";
};

class WalkingDiffer final : public Comparer {
 public:
  // `store` is not owned and must outlive the differ.
  explicit WalkingDiffer(content::Store* store, WalkingDifferOptions opts = {})
      : store_(store), opts_(std::move(opts)) {}

  // Media types: kMediaTypeLayerGzip (default), kMediaTypeLayerZstd or kMediaTypeLayer; others Unimplemented.
  // The blob is committed with opts.labels plus containerd.io/uncompressed=<diff_id>; a blob that is already
  // stored is returned as is.
  absl::StatusOr<oci::Descriptor> Compare(const Context& ctx, const std::vector<mount::Mount>& lower,
                                          const std::vector<mount::Mount>& upper, const DiffOptions& opts) override;

 private:
  content::Store* store_;
  WalkingDifferOptions opts_;
};

}  // namespace berth::diff
