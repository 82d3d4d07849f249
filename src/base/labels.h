// Labels as containerd keeps them on every object, and the size limits containerd enforces on them.
#pragma once

#include <map>
#include <string>

#include "absl/status/status.h"

namespace berth {

using Labels = std::map<std::string, std::string>;

// containerd's labels.Validate: key+value at most 4096 bytes.
absl::Status ValidateLabels(const Labels& labels);

}  // namespace berth
