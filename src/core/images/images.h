// Images: a name pointing at a root descriptor (index or manifest), with labels. Namespaced.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/context.h"
#include "base/labels.h"
#include "oci/descriptor.h"

namespace berth::images {

struct Image {
  std::string name;
  Labels labels;
  oci::Descriptor target;
  absl::Time created_at;
  absl::Time updated_at;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual absl::StatusOr<Image> Get(const Context& ctx, const std::string& name) = 0;
  // Filters in containerd's syntax over name, target.digest, target.mediatype, labels.
  virtual absl::StatusOr<std::vector<Image>> List(const Context& ctx, const std::vector<std::string>& filters) = 0;
  // Stamps created_at/updated_at; AlreadyExists if the name is taken.
  virtual absl::StatusOr<Image> Create(const Context& ctx, const Image& image) = 0;
  // `fieldpaths` empty: replace labels and target; else "labels", "labels.<k>", "target", "annotations"... as
  // containerd. NotFound if the image does not exist.
  virtual absl::StatusOr<Image> Update(const Context& ctx, const Image& image,
                                       const std::vector<std::string>& fieldpaths) = 0;
  virtual absl::Status Delete(const Context& ctx, const std::string& name) = 0;  // NotFound
};

}  // namespace berth::images
