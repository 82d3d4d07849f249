// OCI image-spec (and Docker schema 2) documents a pull reads: indexes, manifests, image configs; their media
// types; platform selection and layer chain ids. Every parse takes the raw JSON, which callers read with a cap
// (kMaxDocumentSize): a registry must not be able to make berthd allocate without bound.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "digest/digest.h"
#include "oci/descriptor.h"

namespace berth::oci {

inline constexpr std::string_view kMediaTypeIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kMediaTypeManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kMediaTypeConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kMediaTypeDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kMediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kMediaTypeDockerConfig = "application/vnd.docker.container.image.v1+json";

// Manifests, indexes and configs larger than this are refused (containerd caps manifests at 4 MiB too).
inline constexpr int64_t kMaxDocumentSize = 4 << 20;
// Indexes may point at indexes; deeper than this is refused.
inline constexpr int kMaxIndexDepth = 4;

bool IsIndex(std::string_view media_type);
bool IsManifest(std::string_view media_type);

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;

  // "linux", "linux/amd64", "linux/arm64/v8"; architecture names are normalised (x86_64 → amd64, aarch64 → arm64).
  static absl::StatusOr<Platform> Parse(std::string_view s);
  // The platform this binary runs on.
  static Platform Host();
  std::string str() const;
  // Whether an image built for `candidate` runs here: same os and architecture, and the variant if one is wanted
  // (arm64's "v8" is its default variant).
  bool Matches(const Platform& candidate) const;
  bool operator==(const Platform&) const = default;
};

struct IndexEntry {
  Descriptor descriptor;
  std::optional<Platform> platform;
};

struct Index {
  std::vector<IndexEntry> manifests;
};

struct Manifest {
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct ImageConfig {
  Platform platform;
  std::vector<Digest> diff_ids;  // rootfs.diff_ids, bottom layer first
};

absl::StatusOr<Index> ParseIndex(std::string_view json);
absl::StatusOr<Manifest> ParseManifest(std::string_view json);
absl::StatusOr<ImageConfig> ParseImageConfig(std::string_view json);

// The first entry of `index` that runs on `want`, NotFound naming the platform when none does.
absl::StatusOr<IndexEntry> SelectManifest(const Index& index, const Platform& want);

// Chain ids of a layer stack (identity.ChainIDs): chain[0] = diff_ids[0],
// chain[i] = sha256(chain[i-1] + " " + diff_ids[i]). Snapshots of unpacked layers are named by them.
std::vector<Digest> ChainIds(const std::vector<Digest>& diff_ids);

}  // namespace berth::oci
