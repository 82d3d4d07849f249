#include "plugins/remotes/registry.h"

#include <charconv>

#include "base/log.h"
#include "base/status.h"
#include "nlohmann/json.hpp"
#include "plugins/remotes/auth.h"
#include "plugins/remotes/blob_stream.h"
#include "plugins/remotes/endpoints.h"
#include "plugins/remotes/errors.h"
#include "plugins/remotes/http_client.h"

namespace berth::remotes {
namespace {

// How much of an error answer's body is read to quote the registry's error code.
constexpr int64_t kMaxErrorBody = 4096;

std::string ManifestAccept() {
  return fmt::format("{}, {}, {}, {}", kMediaTypeOciIndex, kMediaTypeOciManifest, kMediaTypeDockerManifestList,
                     kMediaTypeDockerManifest);
}

std::string MediaTypeOf(const HttpResponse& response) {
  std::string type = response.headers().Get("Content-Type").value_or("");
  return std::string(TrimSpace(std::string_view(type).substr(0, type.find(';'))));
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

// "bytes 10-99/100" → 10.
std::optional<int64_t> ContentRangeStart(const HttpResponse& response) {
  std::optional<std::string> range = response.headers().Get("Content-Range");
  if (!range || !range->starts_with("bytes ")) return std::nullopt;
  std::string_view rest = std::string_view(*range).substr(6);
  return ParseInt(rest.substr(0, rest.find('-')));
}

// The registry's error code from a JSON error body ({"errors":[{"code":"MANIFEST_UNKNOWN",...}]}), if any.
std::string RegistryErrorCode(const Context& ctx, HttpResponse& response) {
  absl::StatusOr<std::string> body = response.body().ReadAll(ctx, kMaxErrorBody);
  if (!body.ok()) return "";
  nlohmann::json json = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("errors") || !json["errors"].is_array() || json["errors"].empty()) {
    return "";
  }
  const nlohmann::json& first = json["errors"][0];
  if (!first.is_object() || !first.contains("code") || !first["code"].is_string()) return "";
  return first["code"].get<std::string>();
}

class RegistryClient final : public Registry {
 public:
  explicit RegistryClient(RegistryOptions options)
      : options_(std::move(options)),
        http_(HttpClientOptions{.connect = {.connect_timeout = options_.connect_timeout,
                                            .idle_timeout = options_.idle_timeout},
                                .max_idle_per_endpoint = options_.max_idle_per_host,
                                .user_agent = options_.user_agent}),
        auth_(&http_) {}

  absl::StatusOr<oci::Descriptor> Resolve(const Context& ctx, const Reference& ref,
                                          const RequestOptions& options) override {
    return OnEndpoints<oci::Descriptor>(ctx, ref, options, [&](const Endpoint& endpoint) {
      return ResolveAt(ctx, ref, endpoint);
    });
  }

  absl::StatusOr<std::string> FetchManifest(const Context& ctx, const Reference& ref, const oci::Descriptor& desc,
                                            const RequestOptions& options, int64_t cap) override {
    std::string accept = desc.media_type.empty() ? ManifestAccept() : desc.media_type + ", " + ManifestAccept();
    return OnEndpoints<std::string>(ctx, ref, options, [&](const Endpoint& endpoint) {
      return FetchVerified(ctx, ref, endpoint, "manifests", desc, accept, cap);
    });
  }

  absl::StatusOr<std::string> FetchBlob(const Context& ctx, const Reference& ref, const oci::Descriptor& desc,
                                        const RequestOptions& options, int64_t cap) override {
    return OnEndpoints<std::string>(ctx, ref, options, [&](const Endpoint& endpoint) {
      return FetchVerified(ctx, ref, endpoint, "blobs", desc, "*/*", cap);
    });
  }

  absl::StatusOr<std::unique_ptr<BlobReader>> OpenBlob(const Context& ctx, const Reference& ref,
                                                        const oci::Descriptor& desc, int64_t offset,
                                                        const RequestOptions& options) override {
    if (offset < 0 || (desc.size > 0 && offset > desc.size)) {
      return absl::OutOfRangeError(fmt::format("blob {} of {}: offset {} outside its {} bytes", desc.digest.str(),
                                               ref.String(), offset, desc.size));
    }
    return OnEndpoints<std::unique_ptr<BlobReader>>(ctx, ref, options, [&](const Endpoint& endpoint) {
      return OpenBlobAt(ctx, ref, endpoint, desc, offset);
    });
  }

 private:
  // Runs `fn` on the mirrors in order, then the registry; a mirror's failure (any kind) falls through.
  template <typename T, typename Fn>
  absl::StatusOr<T> OnEndpoints(const Context& ctx, const Reference& ref, const RequestOptions& options, Fn&& fn) {
    ASSIGN_OR_RETURN(std::vector<Endpoint> endpoints, EndpointsFor(options_, ref, options));
    for (const Endpoint& endpoint : endpoints) {
      absl::StatusOr<T> result = fn(endpoint);
      if (result.ok() || !endpoint.mirror) return result;
      if (ctx.Cancelled()) return result;
      log::Debug("mirror {} failed for {}, trying the next source: {}", endpoint.name(), ref.String(),
                 result.status().ToString());
    }
    return absl::InternalError("no endpoint for " + ref.String());  // unreachable: the registry is always last
  }

  // One request with the auth dance: cached Authorization first; on 401 answer the challenge and retry once.
  absl::StatusOr<std::unique_ptr<HttpResponse>> Send(const Context& ctx, const Reference& ref,
                                                     const Endpoint& endpoint, HttpRequest request, bool pooled) {
    std::string scope = PullScope(ref.repository);
    SendOptions send{.tls = endpoint.tls, .pooled = pooled};
    if (std::optional<std::string> cached = auth_.Cached(endpoint.name(), scope)) {
      request.headers.Set("Authorization", *cached);
    }
    HttpRequest retry = request;
    ASSIGN_OR_RETURN(std::unique_ptr<HttpResponse> response, http_.Send(ctx, std::move(request), send));
    if (response->status() != 401) return response;
    std::vector<std::string> challenges = response->headers().GetAll("WWW-Authenticate");
    response.reset();  // frees the connection (unread 401 bodies are not worth draining)
    ASSIGN_OR_RETURN(std::string authorization,
                     auth_.Answer(ctx, endpoint.name(), scope, challenges, endpoint.credentials, send));
    retry.headers.Set("Authorization", authorization);
    return http_.Send(ctx, std::move(retry), send);  // a second 401 is reported as Unauthenticated by callers
  }

  absl::Status ErrorFor(const Context& ctx, HttpResponse& response, std::string_view what) {
    std::string code = response.status() >= 400 && response.status() < 500 ? RegistryErrorCode(ctx, response) : "";
    return HttpStatusError(response.status(), code.empty() ? std::string(what) : fmt::format("{} [{}]", what, code));
  }

  absl::StatusOr<oci::Descriptor> ResolveAt(const Context& ctx, const Reference& ref, const Endpoint& endpoint) {
    std::string what = fmt::format("resolve {} at {}", ref.String(), endpoint.name());
    HttpRequest head{.method = "HEAD", .url = endpoint.Api(ref.repository, "manifests", ref.Object())};
    head.headers.Add("Accept", ManifestAccept());
    HttpRequest get = head;
    get.method = "GET";
    ASSIGN_OR_RETURN(std::unique_ptr<HttpResponse> response, Send(ctx, ref, endpoint, std::move(head), true));
    if (response->status() == 200) {
      oci::Descriptor desc{.media_type = MediaTypeOf(*response)};
      std::optional<std::string> digest_text = response->headers().Get("Docker-Content-Digest");
      std::optional<int64_t> size = ParseInt(response->headers().Get("Content-Length").value_or("-"));
      absl::StatusOr<Digest> digest =
          digest_text ? Digest::Parse(*digest_text) : ref.digest ? absl::StatusOr<Digest>(*ref.digest)
                                                                 : absl::NotFoundError("no digest header");
      if (digest.ok() && size && !desc.media_type.empty()) {
        if (ref.digest && *digest != *ref.digest) {
          return WithReason(absl::DataLossError(fmt::format("{}: registry says {}", what, digest->str())),
                            kReasonDigest);
        }
        desc.digest = *digest;
        desc.size = *size;
        return desc;
      }
    } else if (response->status() != 405 && response->status() != 501 && response->status() != 400) {
      return HttpStatusError(response->status(), what);  // HEAD has no body to quote
    }
    // No usable HEAD answer: GET the manifest and hash it.
    response.reset();
    ASSIGN_OR_RETURN(response, Send(ctx, ref, endpoint, std::move(get), true));
    if (response->status() != 200) return ErrorFor(ctx, *response, what);
    std::string media_type = MediaTypeOf(*response);
    absl::StatusOr<std::string> body = response->body().ReadAll(ctx, options_.manifest_cap);
    if (!body.ok()) return AddContext(body.status(), what);
    Digest digest = Digest::Of(*body);
    if (ref.digest && digest != *ref.digest) {
      return WithReason(absl::DataLossError(fmt::format("{}: content hashes to {}", what, digest.str())),
                        kReasonDigest);
    }
    if (media_type.empty() || media_type == "application/json" || media_type == "text/plain") {
      nlohmann::json json = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
      if (json.is_object() && json.contains("mediaType") && json["mediaType"].is_string()) {
        media_type = json["mediaType"].get<std::string>();
      }
    }
    return oci::Descriptor{.media_type = media_type, .digest = digest, .size = static_cast<int64_t>(body->size())};
  }

  absl::StatusOr<std::string> FetchVerified(const Context& ctx, const Reference& ref, const Endpoint& endpoint,
                                            const std::string& kind, const oci::Descriptor& desc,
                                            const std::string& accept, int64_t cap) {
    std::string what = fmt::format("{} {} of {} at {}", kind == "blobs" ? "blob" : "manifest", desc.digest.str(),
                                   ref.String(), endpoint.name());
    if (cap <= 0) cap = options_.manifest_cap;
    if (desc.size > cap) {
      return absl::InvalidArgumentError(fmt::format("{}: {} bytes, over the {} byte cap", what, desc.size, cap));
    }
    HttpRequest request{.url = endpoint.Api(ref.repository, kind, desc.digest.str())};
    request.headers.Add("Accept", accept);
    ASSIGN_OR_RETURN(std::unique_ptr<HttpResponse> response, Send(ctx, ref, endpoint, std::move(request), true));
    if (response->status() != 200) return ErrorFor(ctx, *response, what);
    absl::StatusOr<std::string> body = response->body().ReadAll(ctx, cap);
    if (!body.ok()) return AddContext(body.status(), what);
    Digest actual = Digest::Of(*body);
    if (actual != desc.digest || (desc.size > 0 && static_cast<int64_t>(body->size()) != desc.size)) {
      return WithReason(absl::DataLossError(fmt::format("{}: got {} bytes hashing to {}, want {} bytes", what,
                                                        body->size(), actual.str(), desc.size)),
                        kReasonDigest);
    }
    return body;
  }

  absl::StatusOr<std::unique_ptr<BlobReader>> OpenBlobAt(const Context& ctx, const Reference& ref,
                                                         const Endpoint& endpoint, const oci::Descriptor& desc,
                                                         int64_t offset) {
    std::string what = fmt::format("blob {} of {} at {}", desc.digest.str(), ref.String(), endpoint.name());
    if (desc.size > 0 && offset == desc.size) {  // nothing left; a Range past the end would be 416
      return std::make_unique<HttpBlobReader>(ctx, nullptr, offset, 0, false, what, endpoint.name());
    }
    HttpRequest request{.url = endpoint.Api(ref.repository, "blobs", desc.digest.str())};
    if (offset > 0) request.headers.Add("Range", fmt::format("bytes={}-", offset));
    // Blob streams get a connection of their own, never shared with the pool: they are long and may be abandoned.
    ASSIGN_OR_RETURN(std::unique_ptr<HttpResponse> response, Send(ctx, ref, endpoint, std::move(request), false));
    int64_t start = 0;
    if (response->status() == 206) {
      std::optional<int64_t> range_start = ContentRangeStart(*response);
      if (!range_start || *range_start != offset) {
        return absl::InvalidArgumentError(fmt::format("{}: asked for bytes from {}, got Content-Range \"{}\"", what,
                                                      offset, response->headers().Get("Content-Range").value_or("")));
      }
      start = offset;
    } else if (response->status() != 200) {
      return ErrorFor(ctx, *response, what);
    }
    int64_t remaining = desc.size > 0 ? desc.size - start : -1;
    int64_t length = response->body().content_length();
    if (remaining >= 0 && length >= 0 && length != remaining) {
      return WithReason(absl::DataLossError(fmt::format("{}: server sends {} bytes from offset {}, the descriptor "
                                                        "says {} in all",
                                                        what, length, start, desc.size)),
                        kReasonDigest);
    }
    std::string source = response->url().Authority();
    return std::make_unique<HttpBlobReader>(ctx, std::move(response), start, remaining, offset > 0 && start == 0,
                                            what, source);
  }

  RegistryOptions options_;
  HttpClient http_;
  Authenticator auth_;
};

}  // namespace

std::unique_ptr<Registry> Registry::Create(RegistryOptions options) {
  return std::make_unique<RegistryClient>(std::move(options));
}

}  // namespace berth::remotes
