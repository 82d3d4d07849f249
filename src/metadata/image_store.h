// images::Store over the metadata Db: key (namespace, name) in the images table. Semantics as containerd 1.6
// metadata/images.go, including its validation and update paths.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/images/images.h"
#include "metadata/db.h"

namespace berth::metadata {

// Thread-safe. `db` is not owned and must outlive the store.
class ImageStore : public images::Store {
 public:
  explicit ImageStore(Db* db) : db_(db) {}

  absl::StatusOr<images::Image> Get(const Context& ctx, const std::string& name) override;
  // Filter fields: name, target.digest, target.mediatype, labels.<key>, annotations.<key>. Sorted by name.
  absl::StatusOr<std::vector<images::Image>> List(const Context& ctx, const std::vector<std::string>& filters) override;
  // InvalidArgument unless the name is set and the target has a valid digest, a size > 0 and a media type.
  absl::StatusOr<images::Image> Create(const Context& ctx, const images::Image& image) override;
  // Paths: "labels", "labels.<k>", "target", "annotations", "annotations.<k>" (a "" value deletes the key); no
  // paths replaces labels and target. created_at is kept.
  absl::StatusOr<images::Image> Update(const Context& ctx, const images::Image& image,
                                       const std::vector<std::string>& fieldpaths) override;
  absl::Status Delete(const Context& ctx, const std::string& name) override;

  // Called after every successful Delete, so garbage collection can follow (metadata/gc_collector.h). Set
  // before the store is shared.
  void set_on_delete(std::function<void()> fn) { on_delete_ = std::move(fn); }

 private:
  Db* db_;
  std::function<void()> on_delete_;
};

}  // namespace berth::metadata
