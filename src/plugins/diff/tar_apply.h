// Applies an OCI layer tar onto a directory: containerd's archive.Apply (applyNaive) with its whiteout
// converters, over fds that cannot leave the root (see safe_path.h).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/context.h"
#include "plugins/diff/tar_reader.h"

namespace berth::diff {

enum class WhiteoutMode {
  // The root holds the whole lower tree (native snapshots, a temp mount): `.wh.x` deletes x, an opaque marker
  // deletes the directory's children not written by this layer.
  kRemove,
  // The root is an overlay upper dir: `.wh.x` becomes a 0:0 character device x and an opaque marker the
  // xattr trusted.overlay.opaque=y; nothing is deleted.
  kOverlay,
};

struct TarApplyOptions {
  WhiteoutMode whiteouts = WhiteoutMode::kRemove;
  // Overlay lower dirs, topmost first: a parent directory this layer has to create in the upper dir takes
  // its owner, mode, times and (non-trusted) xattrs from the first lower that has it, so the merged view keeps
  // them (containerd's WithParents).
  std::vector<std::string> parents;
  // If set: the directories this layer creates without an entry of their own (parents of its entries that
  // were missing), as paths under the root, parents first. A layer unpacked before its lowers exist gives
  // these their lowers' attributes later (InheritImpliedDirs).
  std::vector<std::string>* implied_dirs = nullptr;
};

// Reads every entry of `tar` and applies it under `root` (a directory path, opened once). InvalidArgument
// naming the entry for invalid whiteouts and other malformed layers; Cancelled when ctx is.
absl::Status ApplyTar(const Context& ctx, TarReader& tar, const std::string& root, const TarApplyOptions& opts);

// Gives each directory of `implied` under `root` the owner, mode, times and xattrs of the first of `lowers`
// (topmost first) that has it as a directory, as ApplyTar would have with TarApplyOptions::parents.
absl::Status InheritImpliedDirs(const std::string& root, const std::vector<std::string>& implied,
                                const std::vector<std::string>& lowers);

}  // namespace berth::diff
