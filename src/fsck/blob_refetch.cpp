#include "fsck/blob_refetch.h"

#include "absl/strings/str_split.h"
#include "base/status.h"
#include "fmt/format.h"

namespace berth::fsck {

namespace {

constexpr std::string_view kSourcePrefix = "containerd.io/distribution.source.";

std::string HostWithoutPort(const std::string& registry) {
  if (registry.starts_with("[")) return registry.substr(0, registry.find(']') + 1);
  return registry.substr(0, registry.find(':'));
}

absl::Status FetchInto(remotes::Registry& registry, content::LocalStore& blobs, const Digest& digest, int64_t size,
                       const remotes::Reference& source, const remotes::RequestOptions& options) {
  oci::Descriptor desc;
  desc.digest = digest;
  desc.size = size;
  desc.media_type = "application/octet-stream";
  Context ctx;
  ctx.deadline = absl::Now() + absl::Minutes(30);
  ASSIGN_OR_RETURN(std::unique_ptr<remotes::BlobReader> reader, registry.OpenBlob(ctx, source, desc, 0, options));
  const std::string ref = "fsck-refetch-" + std::string(digest.hex());
  IgnoreError(blobs.Abort(ctx, ref), "a leftover of an earlier refetch, if any");
  ASSIGN_OR_RETURN(std::unique_ptr<content::Writer> writer, blobs.OpenWriter(ctx, {.ref = ref, .total = size}));
  std::string buf(1 << 20, '\0');
  int64_t got = 0;
  while (got <= size) {  // bounded: a server sending more than the size is refused below
    ASSIGN_OR_RETURN(size_t n, reader->Read(std::span<char>(buf.data(), buf.size())));
    if (n == 0) break;
    RETURN_IF_ERROR(writer->Write(std::string_view(buf.data(), n)));
    got += static_cast<int64_t>(n);
  }
  if (got != size || writer->RunningDigest() != digest) {
    IgnoreError(blobs.Abort(ctx, ref), "the wrong bytes are dropped");
    return absl::DataLossError(fmt::format("got {} bytes hashing to {}, want {} bytes of {}", got,
                                           writer->RunningDigest().str(), size, digest.str()));
  }
  // The verified bytes wait in the ingest: only now does the damaged file go.
  absl::Status deleted = blobs.Delete(ctx, digest);
  if (!deleted.ok() && !absl::IsNotFound(deleted)) return deleted;
  absl::Status committed = writer->Commit({.size = size, .expected = digest});
  return absl::IsAlreadyExists(committed) ? absl::OkStatus() : committed;
}

}  // namespace

std::vector<remotes::Reference> BlobSources(const Labels& labels, const std::set<std::string>& registries) {
  std::vector<remotes::Reference> out;
  for (const auto& [key, value] : labels) {
    if (!key.starts_with(kSourcePrefix)) continue;
    const std::string host = key.substr(kSourcePrefix.size());
    std::set<std::string> hosts;
    for (const std::string& r : registries) {
      if (HostWithoutPort(r) == host) hosts.insert(r);
    }
    if (hosts.empty()) hosts.insert(host);
    for (const std::string& h : hosts) {
      for (absl::string_view repo : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        remotes::Reference ref;
        ref.registry = h;
        ref.repository = std::string(repo);
        out.push_back(std::move(ref));
      }
    }
  }
  return out;
}

absl::Status RefetchBlob(remotes::Registry& registry, content::LocalStore& blobs, const Digest& digest, int64_t size,
                         const std::vector<remotes::Reference>& sources, const remotes::RequestOptions& options) {
  if (sources.empty()) {
    return absl::NotFoundError(
        fmt::format("blob {}: no distribution source recorded; pull its image again", digest.str()));
  }
  std::string tried;
  for (const remotes::Reference& source : sources) {
    absl::Status s = FetchInto(registry, blobs, digest, size, source, options);
    if (s.ok()) return s;
    tried += fmt::format("{}{}/{}: {}", tried.empty() ? "" : "; ", source.registry, source.repository, std::string(s.message()));
  }
  return absl::UnavailableError(fmt::format("refetch of blob {} failed: {}", digest.str(), tried));
}

}  // namespace berth::fsck
