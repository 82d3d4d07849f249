#include "fsck/unpacked_layers.h"

#include <map>
#include <tuple>

#include "base/status.h"
#include "fmt/format.h"
#include "metadata/keys.h"
#include "metadata/records.h"
#include "oci/image.h"

namespace berth::fsck {

namespace {

constexpr int64_t kMaxJson = 8 << 20;  // manifests, indexes and configs are small; a huge one is not read

absl::StatusOr<std::string> ReadSmallBlob(metadata::ContentStore& content, const Context& ctx, const Digest& digest) {
  ASSIGN_OR_RETURN(std::unique_ptr<content::Reader> reader, content.OpenReader(ctx, digest));
  if (reader->Size() > kMaxJson) {
    return absl::FailedPreconditionError(fmt::format("blob {} is too large for a manifest", digest.str()));
  }
  std::string out(reader->Size(), '\0');
  int64_t off = 0;
  while (off < reader->Size()) {
    ASSIGN_OR_RETURN(size_t n, reader->ReadAt(off, std::span<char>(out.data() + off, out.size() - off)));
    if (n == 0) break;
    off += static_cast<int64_t>(n);
  }
  out.resize(off);
  return out;
}

bool IsIndex(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

}  // namespace

absl::StatusOr<std::vector<UnpackedLayer>> FindUnpackedLayers(const metadata::Db& db, metadata::ContentStore& content,
                                                              const std::vector<metadata::SnapshotStore*>& stores) {
  std::vector<std::pair<std::string, images::Image>> images;
  RETURN_IF_ERROR(db.View([&](const metadata::Txn& txn) {
    absl::Status error;
    RETURN_IF_ERROR(txn.Scan(metadata::Table::kImages, "", [&](std::string_view key, std::string_view value) {
      std::vector<std::string> parts = metadata::SplitKey(key);
      absl::StatusOr<images::Image> image = metadata::DecodeImage(parts.back(), value);
      if (!image.ok()) {
        error = image.status();
        return false;
      }
      images.emplace_back(parts[0], *std::move(image));
      return true;
    }));
    return error;
  }));
  std::map<std::tuple<std::string, metadata::SnapshotStore*, std::string>, UnpackedLayer> found;
  for (const auto& [ns, image] : images) {
    Context ctx;
    ctx.ns = ns;
    std::vector<oci::Descriptor> manifests;
    if (IsIndex(image.target.media_type)) {
      absl::StatusOr<std::string> json = ReadSmallBlob(content, ctx, image.target.digest);
      if (!json.ok()) continue;  // a missing index is a blob problem, reported as such
      ASSIGN_OR_RETURN(oci::Index index, oci::ParseIndex(*json));
      for (const oci::IndexEntry& e : index.manifests) manifests.push_back(e.descriptor);
    } else {
      manifests.push_back(image.target);
    }
    for (const oci::Descriptor& m : manifests) {
      absl::StatusOr<std::string> json = ReadSmallBlob(content, ctx, m.digest);
      if (!json.ok()) continue;  // platforms not pulled
      absl::StatusOr<oci::Manifest> manifest = oci::ParseManifest(*json);
      if (!manifest.ok()) continue;
      absl::StatusOr<std::string> config_json = ReadSmallBlob(content, ctx, manifest->config.digest);
      if (!config_json.ok()) continue;
      absl::StatusOr<oci::ImageConfig> config = oci::ParseImageConfig(*config_json);
      if (!config.ok() || config->diff_ids.size() != manifest->layers.size()) continue;
      std::vector<Digest> chain = oci::ChainIds(config->diff_ids);
      for (metadata::SnapshotStore* store : stores) {
        for (size_t i = 0; i < chain.size(); ++i) {
          absl::StatusOr<snapshots::Info> info = store->Stat(ctx, chain[i].str());
          if (!info.ok() || info->kind != snapshots::Kind::kCommitted) continue;
          UnpackedLayer& l = found[{ns, store, chain[i].str()}];
          l.ns = ns;
          l.store = store;
          l.key = chain[i].str();
          l.parent = i == 0 ? "" : chain[i - 1].str();
          l.layer = manifest->layers[i];
          l.images.insert("image " + image.name);
        }
      }
    }
  }
  std::vector<UnpackedLayer> out;
  for (auto& [_, l] : found) out.push_back(std::move(l));
  return out;
}

}  // namespace berth::fsck
