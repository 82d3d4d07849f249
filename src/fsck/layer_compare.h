// Compares an unpacked layer directory with the layer blob it was unpacked from, entry by entry: missing,
// changed type, content, mode, owner, link target, device, xattrs; and (for a directory that holds only the
// layer, as overlayfs' fs/) extra entries. Whiteouts are checked as overlayfs stores them (a 0/0 character
// device). Paths resolve inside the layer directory (diff/safe_path.h): a symlink in the tree is never followed.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/content/content.h"
#include "oci/descriptor.h"

namespace berth::fsck {

struct Difference {
  std::string path;  // inside the layer, "/etc/passwd"
  std::string what;  // "missing", "content differs", "mode 0644, want 0755", "extra", ...
};

struct CompareOptions {
  // The directory holds the layer alone (overlayfs): report entries the layer does not have, and expect
  // whiteouts. False for a full copy of the chain (native), where only the layer's own entries are checked.
  bool layer_only = true;
  size_t max_differences = 1000;  // a tree wiped out is one problem, not a million lines
};

// Reads `layer` from `store` (decompressed by its media type). Error only when the blob or the directory cannot
// be read at all.
absl::StatusOr<std::vector<Difference>> CompareLayer(content::Store& store, const Context& ctx,
                                                     const oci::Descriptor& layer, const std::string& dir,
                                                     const CompareOptions& options);

}  // namespace berth::fsck
