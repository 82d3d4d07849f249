#include "oci/image.h"

#include <sys/utsname.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace berth::oci {

namespace {

using nlohmann::json;

std::string NormalizeArch(std::string_view arch) {
  if (arch == "x86_64" || arch == "x86-64") return "amd64";
  if (arch == "aarch64") return "arm64";
  if (arch == "armhf" || arch == "armel") return "arm";
  return std::string(arch);
}

absl::StatusOr<json> ParseObject(std::string_view text, std::string_view what) {
  if (static_cast<int64_t>(text.size()) > kMaxDocumentSize) {
    return absl::InvalidArgumentError(fmt::format("{}: {} bytes is over the {} byte limit", what, text.size(),
                                                  kMaxDocumentSize));
  }
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return absl::InvalidArgumentError(fmt::format("{}: not a JSON object", what));
  return j;
}

std::string StringField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

absl::StatusOr<Descriptor> ParseDescriptor(const json& j, std::string_view what) {
  if (!j.is_object()) return absl::InvalidArgumentError(fmt::format("{}: descriptor is not an object", what));
  Descriptor d;
  d.media_type = StringField(j, "mediaType");
  absl::StatusOr<Digest> digest = Digest::Parse(StringField(j, "digest"));
  if (!digest.ok()) return WithContext(digest.status(), what);
  d.digest = *std::move(digest);
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0) {
    return absl::InvalidArgumentError(fmt::format("{}: descriptor {} has no valid size", what, d.digest.str()));
  }
  d.size = size->get<int64_t>();
  auto annotations = j.find("annotations");
  if (annotations != j.end() && annotations->is_object()) {
    for (const auto& [k, v] : annotations->items()) {
      if (v.is_string()) d.annotations[k] = v.get<std::string>();
    }
  }
  return d;
}

}  // namespace

bool IsIndex(std::string_view media_type) {
  return media_type == kMediaTypeIndex || media_type == kMediaTypeDockerManifestList;
}

bool IsManifest(std::string_view media_type) {
  return media_type == kMediaTypeManifest || media_type == kMediaTypeDockerManifest;
}

absl::StatusOr<Platform> Platform::Parse(std::string_view s) {
  Platform p;
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t slash = s.find('/', start);
    parts.emplace_back(s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() > 3 || parts[0].empty()) {
    return absl::InvalidArgumentError(fmt::format("platform {:?}: want os[/arch[/variant]]", s));
  }
  for (const auto& part : parts) {
    if (part.empty()) return absl::InvalidArgumentError(fmt::format("platform {:?}: empty component", s));
  }
  p.os = parts[0];
  p.architecture = parts.size() > 1 ? NormalizeArch(parts[1]) : Host().architecture;
  if (parts.size() > 2) p.variant = parts[2];
  return p;
}

Platform Platform::Host() {
  struct utsname u;
  std::string machine = ::uname(&u) == 0 ? u.machine : "amd64";
  return Platform{.os = "linux", .architecture = NormalizeArch(machine), .variant = ""};
}

std::string Platform::str() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

bool Platform::Matches(const Platform& c) const {
  if (c.os != os || NormalizeArch(c.architecture) != architecture) return false;
  if (variant.empty()) return true;
  std::string cv = c.variant.empty() && architecture == "arm64" ? "v8" : c.variant;
  return cv == variant;
}

absl::StatusOr<Index> ParseIndex(std::string_view text) {
  ASSIGN_OR_RETURN(json j, ParseObject(text, "image index"));
  auto manifests = j.find("manifests");
  if (manifests == j.end() || !manifests->is_array()) {
    return absl::InvalidArgumentError("image index: no manifests array");
  }
  Index index;
  for (const json& m : *manifests) {
    IndexEntry e;
    ASSIGN_OR_RETURN(e.descriptor, ParseDescriptor(m, "image index"));
    auto platform = m.find("platform");
    if (platform != m.end() && platform->is_object()) {
      e.platform = Platform{.os = StringField(*platform, "os"),
                            .architecture = NormalizeArch(StringField(*platform, "architecture")),
                            .variant = StringField(*platform, "variant")};
    }
    index.manifests.push_back(std::move(e));
  }
  return index;
}

absl::StatusOr<Manifest> ParseManifest(std::string_view text) {
  ASSIGN_OR_RETURN(json j, ParseObject(text, "image manifest"));
  auto config = j.find("config");
  auto layers = j.find("layers");
  if (config == j.end() || layers == j.end() || !layers->is_array()) {
    return absl::InvalidArgumentError("image manifest: config or layers missing");
  }
  Manifest m;
  ASSIGN_OR_RETURN(m.config, ParseDescriptor(*config, "image manifest config"));
  for (const json& l : *layers) {
    ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor(l, "image manifest layer"));
    m.layers.push_back(std::move(d));
  }
  return m;
}

absl::StatusOr<ImageConfig> ParseImageConfig(std::string_view text) {
  ASSIGN_OR_RETURN(json j, ParseObject(text, "image config"));
  ImageConfig c;
  c.platform = Platform{.os = StringField(j, "os"),
                        .architecture = NormalizeArch(StringField(j, "architecture")),
                        .variant = StringField(j, "variant")};
  auto rootfs = j.find("rootfs");
  if (rootfs == j.end() || !rootfs->is_object()) return absl::InvalidArgumentError("image config: no rootfs");
  auto diff_ids = rootfs->find("diff_ids");
  if (diff_ids == rootfs->end() || !diff_ids->is_array()) {
    return absl::InvalidArgumentError("image config: no rootfs.diff_ids");
  }
  for (const json& d : *diff_ids) {
    absl::StatusOr<Digest> digest = Digest::Parse(d.is_string() ? d.get<std::string>() : "");
    if (!digest.ok()) return WithContext(digest.status(), "image config diff_ids");
    c.diff_ids.push_back(*std::move(digest));
  }
  return c;
}

absl::StatusOr<IndexEntry> SelectManifest(const Index& index, const Platform& want) {
  for (const IndexEntry& e : index.manifests) {
    if (!IsManifest(e.descriptor.media_type)) continue;
    if (e.platform && want.Matches(*e.platform)) return e;
  }
  return absl::NotFoundError(fmt::format("no manifest for platform {} in the image index", want.str()));
}

std::vector<Digest> ChainIds(const std::vector<Digest>& diff_ids) {
  std::vector<Digest> chain;
  for (const Digest& d : diff_ids) {
    chain.push_back(chain.empty() ? d : Digest::Of(chain.back().str() + " " + d.str()));
  }
  return chain;
}

}  // namespace berth::oci
