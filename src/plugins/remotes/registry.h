// OCI distribution (registry v2) client: resolve references, fetch manifests with a size cap, stream blobs.
//
//   remotes::RegistryOptions options;
//   options.hosts["127.0.0.1:5000"] = {.plain_http = true};
//   options.hosts["docker.io"] = {.mirrors = {"https://mirror.local:5000"}};
//   std::unique_ptr<remotes::Registry> registry = remotes::Registry::Create(std::move(options));
//
//   ASSIGN_OR_RETURN(remotes::Reference ref, remotes::Reference::Parse("busybox"));  // docker.io/library/busybox:latest
//   ASSIGN_OR_RETURN(oci::Descriptor top, registry->Resolve(ctx, ref));           // index or manifest
//   ASSIGN_OR_RETURN(std::string index_json, registry->FetchManifest(ctx, ref, top));  // verified, <= 4 MiB
//   ...
//   ASSIGN_OR_RETURN(std::unique_ptr<remotes::BlobReader> blob, registry->OpenBlob(ctx, ref, layer, offset));
//   if (blob->restarted_from_zero()) { /* server ignored Range: hash from 0, discard what you had */ }
//   char buf[1 << 16];
//   for (;;) { ASSIGN_OR_RETURN(size_t n, blob->Read(buf)); if (n == 0) break; ... }
//
// Threading: Registry is thread-safe; call it from many threads at once. Each BlobReader owns its own connection
// and is used by one thread at a time. Manifest/token requests share a small keep-alive pool per host.
//
// Errors (see errors.h for the classification helpers the retry loop uses):
//   Unavailable        transient: refused/reset connection, timeout, premature EOF, HTTP 408/429/5xx → retry
//   NotFound           404 for the manifest or blob
//   Unauthenticated    401 after presenting credentials/token (or no credentials to answer a challenge)
//   PermissionDenied   403
//   DataLoss           content does not match its descriptor digest or size
//   InvalidArgument    bad reference, unsupported auth scheme, response over its size cap
//   FailedPrecondition the server's TLS certificate is not trusted (set ca_file or skip_verify)
//   Cancelled / DeadlineExceeded from the Context
// Messages name the reference, the digest and the registry host.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/context.h"
#include "oci/descriptor.h"
#include "plugins/remotes/reference.h"

namespace berth::remotes {

// Media types sent in Accept when resolving (OCI index/manifest, Docker manifest list/schema 2).
inline constexpr const char* kMediaTypeOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kMediaTypeOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kMediaTypeDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kMediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

// Default cap on manifests, indexes and configs read whole into memory.
inline constexpr int64_t kDefaultManifestCap = 4 << 20;

// Per-registry settings, keyed in RegistryOptions::hosts by the reference's registry host as written by users
// ("docker.io", "127.0.0.1:5000", "ghcr.io").
struct HostConfig {
  // Tried in order before the registry itself; a mirror that fails in any way falls through to the next.
  // Each is a URL ("https://mirror:5000", "http://10.0.0.1:5000") or a bare host[:port] (https, or http when
  // plain_http is set). Mirrors are used for pulls of this registry's repositories only.
  std::vector<std::string> mirrors;
  bool plain_http = false;   // talk http:// to the registry (and to bare-host mirrors)
  std::string ca_file;       // PEM bundle of extra trusted CAs; empty: the system store only
  bool skip_verify = false;  // accept any server certificate (test setups only)
  std::string username, password;  // basic credentials: for Basic challenges and for the Bearer token request
};

struct RegistryOptions {
  std::map<std::string, HostConfig> hosts;
  // Applies when a host has no entry in `hosts`.
  HostConfig default_host;
  // When set, registries on localhost / 127.0.0.1 / ::1 use http:// unless their HostConfig exists and says
  // otherwise (docker's habit for local test registries). Off by default: plain HTTP only when asked.
  bool plain_http_localhost = false;
  std::chrono::milliseconds connect_timeout{10'000};
  // The longest wait for any single read or write on a connection (a stalled server is a transient error).
  std::chrono::milliseconds idle_timeout{30'000};
  int64_t manifest_cap = kDefaultManifestCap;
  std::string user_agent = "berth/0.1";
  // Idle keep-alive connections kept per endpoint for manifest/token requests.
  int max_idle_per_host = 4;
};

// Per-call overrides (like `ctr --plain-http`).
struct RequestOptions {
  // Use http:// for this registry even if its HostConfig says otherwise.
  bool plain_http = false;
};

// A streaming blob body. Read pulls bytes from the connection; nothing is buffered beyond one socket read.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  // Fills up to buf.size() bytes; 0 means the end of the blob. A connection that ends before the blob's
  // size is an Unavailable error ("premature EOF"), so the caller can resume with OpenBlob(offset).
  virtual absl::StatusOr<size_t> Read(std::span<char> buf) = 0;
  // The offset in the blob of the first byte this reader returns: the requested offset, or 0 when the server
  // ignored the Range request (then restarted_from_zero() is true and the caller must restart hashing).
  virtual int64_t start_offset() const = 0;
  bool restarted_from_zero() const { return restarted_from_zero_; }
  // The endpoint the bytes come from ("127.0.0.1:5000", or a mirror), for metrics and logs.
  virtual std::string source() const = 0;

 protected:
  bool restarted_from_zero_ = false;
};

class Registry {
 public:
  static std::unique_ptr<Registry> Create(RegistryOptions options);
  virtual ~Registry() = default;

  // The top descriptor of `ref`: HEAD (then GET if HEAD gives no digest) on /v2/<repo>/manifests/<tag|digest>.
  // media_type from Content-Type, digest from Docker-Content-Digest (or by hashing the body), size.
  // A digest reference resolves to that digest (the answer's digest must agree).
  virtual absl::StatusOr<oci::Descriptor> Resolve(const Context& ctx, const Reference& ref,
                                                  const RequestOptions& options = {}) = 0;

  // A manifest or index by descriptor (from /manifests/<digest>), verified against desc.digest and desc.size,
  // at most `cap` bytes (0: options.manifest_cap).
  virtual absl::StatusOr<std::string> FetchManifest(const Context& ctx, const Reference& ref,
                                                    const oci::Descriptor& desc, const RequestOptions& options = {},
                                                    int64_t cap = 0) = 0;

  // A small blob (image config) whole, verified, at most `cap` bytes (0: options.manifest_cap).
  virtual absl::StatusOr<std::string> FetchBlob(const Context& ctx, const Reference& ref,
                                                const oci::Descriptor& desc, const RequestOptions& options = {},
                                                int64_t cap = 0) = 0;

  // A stream of blob `desc` from byte `offset` (Range: bytes=offset-). Not verified here: the caller hashes
  // (it alone knows the bytes before `offset`). Its own connection; deadline/cancel of ctx apply to each Read.
  virtual absl::StatusOr<std::unique_ptr<BlobReader>> OpenBlob(const Context& ctx, const Reference& ref,
                                                                const oci::Descriptor& desc, int64_t offset = 0,
                                                                const RequestOptions& options = {}) = 0;
};

}  // namespace berth::remotes
