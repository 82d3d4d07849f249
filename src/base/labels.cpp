#include "base/labels.h"

#include "fmt/format.h"

namespace berth {

absl::Status ValidateLabels(const Labels& labels) {
  constexpr size_t kMaxLabelSize = 4096;
  for (const auto& [k, v] : labels) {
    if (k.empty()) return absl::InvalidArgumentError("label key must not be empty");
    if (k.size() + v.size() > kMaxLabelSize) {
      return absl::InvalidArgumentError(
          fmt::format("label key and value greater than maximum size ({} bytes), key: {}",
                      kMaxLabelSize, k.substr(0, 64)));
    }
  }
  return absl::OkStatus();
}

}  // namespace berth
