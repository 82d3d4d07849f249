#include "metadata/image_store.h"

#include <algorithm>

#include "base/status.h"
#include "filters/filter.h"
#include "fmt/format.h"
#include "metadata/keys.h"
#include "metadata/namespace_store.h"
#include "metadata/records.h"

namespace berth::metadata {

namespace {

absl::Status NotFound(const std::string& name) {
  return absl::NotFoundError(fmt::format("image \"{}\": not found", name));
}

absl::Status Validate(const images::Image& image) {
  if (image.name.empty()) return absl::InvalidArgumentError("image name must not be empty");
  RETURN_IF_ERROR(WithContext(ValidateLabels(image.labels), "image.Labels"));
  if (!image.target.digest.valid()) {
    return absl::InvalidArgumentError(fmt::format("image \"{}\": Target.Digest must be a valid digest", image.name));
  }
  if (image.target.size <= 0) {
    return absl::InvalidArgumentError(
        fmt::format("image \"{}\": Target.Size must be greater than zero", image.name));
  }
  if (image.target.media_type.empty()) {
    return absl::InvalidArgumentError(fmt::format("image \"{}\": Target.MediaType must be set", image.name));
  }
  return absl::OkStatus();
}

filters::Adaptor Adapt(const images::Image& image) {
  return [&image](const std::vector<std::string>& path) -> std::optional<std::string> {
    auto nonempty = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional(s); };
    if (path.empty()) return std::nullopt;
    if (path[0] == "name") return nonempty(image.name);
    if (path[0] == "target" && path.size() >= 2) {
      if (path[1] == "digest") return nonempty(image.target.digest.str());
      if (path[1] == "mediatype") return nonempty(image.target.media_type);
      return std::nullopt;
    }
    std::vector<std::string> rest(path.begin() + 1, path.end());
    if (path[0] == "labels") return filters::LabelLookup(image.labels, rest);
    if (path[0] == "annotations") return filters::LabelLookup(image.target.annotations, rest);
    return std::nullopt;
  };
}

// Sets or (with an empty or missing value) deletes `key` in `dst` from `src`.
void CopyKey(const Labels& src, const std::string& key, Labels* dst) {
  auto it = src.find(key);
  if (it == src.end() || it->second.empty()) {
    dst->erase(key);
  } else {
    (*dst)[key] = it->second;
  }
}

absl::StatusOr<std::optional<images::Image>> Load(const Txn& txn, const std::string& ns, const std::string& name) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, txn.Get(Table::kImages, Key({ns, name})));
  if (!value.has_value()) return std::nullopt;
  ASSIGN_OR_RETURN(images::Image image, DecodeImage(name, *value));
  return image;
}

}  // namespace

absl::StatusOr<images::Image> ImageStore::Get(const Context& ctx, const std::string& name) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  ASSIGN_OR_RETURN(Txn txn, db_->BeginRead());
  ASSIGN_OR_RETURN(std::optional<images::Image> image, Load(txn, ns, name));
  if (!image.has_value()) return NotFound(name);
  return *std::move(image);
}

absl::StatusOr<std::vector<images::Image>> ImageStore::List(const Context& ctx,
                                                            const std::vector<std::string>& filters) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  ASSIGN_OR_RETURN(filters::Filter filter, filters::Filter::Parse(filters));
  std::vector<images::Image> out;
  absl::Status decode_error;
  ASSIGN_OR_RETURN(Txn txn, db_->BeginRead());
  RETURN_IF_ERROR(txn.Scan(Table::kImages, KeyPrefix({ns}), [&](std::string_view key, std::string_view value) {
    absl::StatusOr<images::Image> image = DecodeImage(SplitKey(key)[1], value);
    if (!image.ok()) {
      decode_error = image.status();
      return false;
    }
    if (filter.Match(Adapt(*image))) out.push_back(*std::move(image));
    return true;
  }));
  RETURN_IF_ERROR(decode_error);
  // Key order is name order except for long names (hashed in keys), so sort by the real names.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

absl::StatusOr<images::Image> ImageStore::Create(const Context& ctx, const images::Image& image) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  RETURN_IF_ERROR(Validate(image));
  images::Image created = image;
  created.created_at = created.updated_at = absl::Now();
  RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
    std::string key = Key({ns, image.name});
    ASSIGN_OR_RETURN(std::optional<std::string> existing, txn.Get(Table::kImages, key));
    if (existing.has_value()) {
      return absl::AlreadyExistsError(fmt::format("image \"{}\": already exists", image.name));
    }
    RETURN_IF_ERROR(EnsureNamespace(txn, ns));
    return txn.Put(Table::kImages, key, EncodeImage(created));
  }));
  return created;
}

absl::StatusOr<images::Image> ImageStore::Update(const Context& ctx, const images::Image& image,
                                                 const std::vector<std::string>& fieldpaths) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  if (image.name.empty()) return absl::InvalidArgumentError("image name is required for update");
  images::Image updated;
  RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<images::Image> current, Load(txn, ns, image.name));
    if (!current.has_value()) return NotFound(image.name);
    updated = *std::move(current);
    absl::Time created_at = updated.created_at;
    if (fieldpaths.empty()) updated = image;
    for (const std::string& path : fieldpaths) {
      if (path.starts_with("labels.")) {
        CopyKey(image.labels, path.substr(std::string_view("labels.").size()), &updated.labels);
      } else if (path.starts_with("annotations.")) {
        CopyKey(image.target.annotations, path.substr(std::string_view("annotations.").size()),
                &updated.target.annotations);
      } else if (path == "labels") {
        updated.labels = image.labels;
      } else if (path == "target") {
        // As containerd: the target is replaced as a unit, never field by field.
        updated.target = image.target;
      } else if (path == "annotations") {
        updated.target.annotations = image.target.annotations;
      } else {
        return absl::InvalidArgumentError(
            fmt::format("cannot update \"{}\" field on image \"{}\"", path, image.name));
      }
    }
    std::erase_if(updated.labels, [](const auto& kv) { return kv.second.empty(); });
    RETURN_IF_ERROR(Validate(updated));
    updated.created_at = created_at;
    updated.updated_at = absl::Now();
    return txn.Put(Table::kImages, Key({ns, image.name}), EncodeImage(updated));
  }));
  return updated;
}

absl::Status ImageStore::Delete(const Context& ctx, const std::string& name) {
  ASSIGN_OR_RETURN(std::string ns, RequireNamespace(ctx));
  RETURN_IF_ERROR(db_->Update([&](WriteTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(bool existed, txn.Delete(Table::kImages, Key({ns, name})));
    if (!existed) return NotFound(name);
    return absl::OkStatus();
  }));
  if (on_delete_) on_delete_();
  return absl::OkStatus();
}

}  // namespace berth::metadata
