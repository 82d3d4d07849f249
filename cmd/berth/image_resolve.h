// What `berth run` needs from an image in berthd's store: the snapshot its top layer was unpacked to, and the
// process defaults of its config. Read over the content API (no back door into storage).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client.h"

namespace berth::cli {

struct ResolvedImage {
  std::string name;
  std::string chain_id;  // the committed snapshot of the top layer
  std::vector<std::string> env, entrypoint, cmd;
  std::string working_dir, user;
  std::string stop_signal;
};

// NotFound when the image is not in the namespace (pull it first).
absl::StatusOr<ResolvedImage> ResolveImage(const Globals& g, const std::string& name);

}  // namespace berth::cli
