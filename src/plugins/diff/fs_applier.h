// diff::Applier over the local file system (containerd's diff/apply fsApplier + apply_linux.go): the blob is
// read from the content store, decompressed and hashed on one thread, and extracted on the caller's thread.
#pragma once

#include <memory>
#include <string>

#include "core/content/content.h"
#include "plugins/diff/byte_reader.h"
#include "plugins/diff/diff.h"

namespace berth::diff {

struct FsApplierOptions {
  // Where mounts that cannot be applied in place (anything but one rw bind or one overlay with an upperdir)
  // are mounted for the duration of an Apply.
  std::string temp_mount_dir = "/tmp";
};

// Mount shapes:
// - one overlay mount with upperdir=U: the layer goes straight into U with overlay whiteouts, lowerdir=
//   supplies attributes for parent directories created in U;
// - one rw bind mount of a directory: applied in that directory, whiteouts delete;
// - anything else: mounted on a temporary directory, whiteouts delete.
class FsApplier final : public Applier {
 public:
  // `store` is not owned and must outlive the applier.
  explicit FsApplier(content::Store* store, FsApplierOptions opts = {}) : store_(store), opts_(std::move(opts)) {}

  absl::StatusOr<oci::Descriptor> Apply(const Context& ctx, const oci::Descriptor& layer,
                                        const std::vector<mount::Mount>& mounts) override;
  // Applies `layer` read from `blob` (its compressed bytes, e.g. as they arrive from a registry) onto `mounts`,
  // as Apply does: the pull pipeline downloads and unpacks in one pass.
  absl::StatusOr<oci::Descriptor> ApplyFrom(const Context& ctx, const oci::Descriptor& layer,
                                            std::unique_ptr<ByteReader> blob,
                                            const std::vector<mount::Mount>& mounts);
  // Applies `layer` from `blob` into `dir` as an overlay upper directory whose lowers do not exist yet (the pull
  // pipeline unpacks a layer before its parent is committed): overlay whiteouts, and the directories the layer
  // implies without entries of their own listed in *implied, for InheritImpliedDirs once the lowers exist.
  absl::StatusOr<oci::Descriptor> ApplyDetached(const Context& ctx, const oci::Descriptor& layer,
                                                std::unique_ptr<ByteReader> blob, const std::string& dir,
                                                std::vector<std::string>* implied);

 private:
  content::Store* store_;
  FsApplierOptions opts_;
};

}  // namespace berth::diff
