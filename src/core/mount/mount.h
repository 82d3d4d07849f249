// A mount as containerd passes it around: what a snapshotter returns and what diff.Apply and tasks mount.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace berth::mount {

struct Mount {
  std::string type;     // "bind", "overlay", ...
  std::string source;   // directory, or "overlay"
  std::vector<std::string> options;  // e.g. {"rw", "rbind"} or {"index=off", "workdir=…", "upperdir=…", "lowerdir=…"}

  bool operator==(const Mount&) const = default;
};

}  // namespace berth::mount
