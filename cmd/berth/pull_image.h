// A pull on berthd (berth.services.pull.v1) with its progress shown: what `berth pull` and `berth run --pull`
// share.
#pragma once

#include <cstdio>
#include <string>

#include "absl/status/statusor.h"
#include "client.h"

namespace berth::cli {

struct PullImageOptions {
  std::string ref;
  bool plain_http = false;
  std::string platform;     // "": berthd's
  std::string snapshotter;  // "": berthd's default
};

struct PulledImage {
  std::string name;  // as berthd recorded it ("busybox" → "docker.io/library/busybox:latest")
  std::string target_digest;
};

// Streams the pull's progress to `out`: bars redrawn in place when `out` is a terminal, a line per state change
// otherwise. The error carries berthd's status code and message (reference, digest, registry).
absl::StatusOr<PulledImage> PullImage(const Globals& g, const PullImageOptions& options, std::FILE* out);

}  // namespace berth::cli
