#include "plugins/remotes/http_client.h"

#include <deque>

#include "base/status.h"
#include "plugins/remotes/errors.h"

namespace berth::remotes {

// Idle keep-alive connections by "scheme://host:port|tls-key". Thread-safe.
class ConnectionPool {
 public:
  explicit ConnectionPool(int max_per_key) : max_per_key_(max_per_key) {}

  std::unique_ptr<Connection> Take(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = idle_.find(key);
    while (it != idle_.end() && !it->second.empty()) {
      std::unique_ptr<Connection> conn = std::move(it->second.back());
      it->second.pop_back();
      if (conn->IdleAndOpen()) return conn;  // the server may have closed it meanwhile: drop those
    }
    return nullptr;
  }

  void Put(const std::string& key, std::unique_ptr<Connection> conn) {
    std::lock_guard lock(mu_);
    auto& list = idle_[key];
    if (static_cast<int>(list.size()) >= max_per_key_) list.pop_front();  // drop the oldest
    list.push_back(std::move(conn));
  }

 private:
  const int max_per_key_;
  std::mutex mu_;
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle_;
};

namespace {

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Redirect bodies are short; drain them so the connection can be reused, but never read much for that.
constexpr int64_t kMaxDrain = 64 * 1024;

}  // namespace

HttpResponse::HttpResponse(int status, Headers headers, Url url, HttpBody body,
                           std::shared_ptr<ConnectionPool> pool, std::string pool_key)
    : status_(status),
      headers_(std::move(headers)),
      url_(std::move(url)),
      body_(std::move(body)),
      pool_(std::move(pool)),
      pool_key_(std::move(pool_key)) {}

HttpResponse::~HttpResponse() {
  if (!pool_) return;
  if (std::unique_ptr<Connection> conn = body_.TakeReusableConnection()) pool_->Put(pool_key_, std::move(conn));
}

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), pool_(std::make_shared<ConnectionPool>(options_.max_idle_per_endpoint)) {}

HttpClient::~HttpClient() = default;

absl::StatusOr<std::shared_ptr<TlsContext>> HttpClient::TlsFor(const TlsConfig& config) {
  std::lock_guard lock(mu_);
  auto it = tls_contexts_.find(config.Key());
  if (it != tls_contexts_.end()) return it->second;
  ASSIGN_OR_RETURN(std::shared_ptr<TlsContext> tls, TlsContext::Create(config));
  tls_contexts_.emplace(config.Key(), tls);
  return tls;
}

absl::StatusOr<std::unique_ptr<HttpResponse>> HttpClient::SendOnce(const Context& ctx, const HttpRequest& request,
                                                                  const SendOptions& options) {
  const Url& url = request.url;
  std::string key = url.scheme + "://" + url.Endpoint() + "|" + options.tls.Key();
  std::string wire = SerializeRequest(request, options_.user_agent);
  std::shared_ptr<TlsContext> tls;
  if (url.tls()) {
    ASSIGN_OR_RETURN(tls, TlsFor(options.tls));
  }
  // Two tries only when the first used a pooled connection the server had silently dropped.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Connection> conn = options.pooled ? pool_->Take(key) : nullptr;
    bool reused = conn != nullptr;
    if (!conn) {
      ASSIGN_OR_RETURN(conn, Connection::Open(ctx, url, tls, options_.connect));
    }
    absl::Status sent = conn->WriteAll(ctx, wire);
    absl::StatusOr<ResponseHead> head = sent.ok() ? ReadResponseHead(ctx, *conn) : absl::StatusOr<ResponseHead>(sent);
    if (!head.ok()) {
      if (reused && IsTransient(head.status())) continue;
      return AddContext(head.status(), fmt::format("{} {}", request.method, url.String()));
    }
    ASSIGN_OR_RETURN(HttpBody body, HttpBody::For(request.method, *head, std::move(conn)));
    return std::make_unique<HttpResponse>(head->status, std::move(head->headers), url, std::move(body),
                                          options.pooled ? pool_ : nullptr, key);
  }
  return TransientError(kReasonReset, fmt::format("{} {}: reused connection failed twice", request.method,
                                                  url.String()));
}

absl::StatusOr<std::unique_ptr<HttpResponse>> HttpClient::Send(const Context& ctx, HttpRequest request,
                                                              const SendOptions& options) {
  for (int redirects = 0;; ++redirects) {
    ASSIGN_OR_RETURN(std::unique_ptr<HttpResponse> response, SendOnce(ctx, request, options));
    std::optional<std::string> location = response->headers().Get("Location");
    if (!IsRedirect(response->status()) || !location) return response;
    if (redirects >= options_.max_redirects) {
      return absl::InvalidArgumentError(fmt::format("{} {}: more than {} redirects", request.method,
                                                    request.url.String(), options_.max_redirects));
    }
    ASSIGN_OR_RETURN(Url next, request.url.Resolve(*location));
    // Credentials for one host must not leak to another (registries redirect blobs to storage services).
    if (!next.SameOrigin(request.url)) request.headers.Remove("Authorization");
    if (response->status() == 303 && request.method != "HEAD") {
      request.method = "GET";
      request.body.clear();
    }
    request.url = std::move(next);
    if (response->body().content_length() >= 0 && response->body().content_length() <= kMaxDrain) {
      IgnoreError(response->body().ReadAll(ctx, kMaxDrain).status(),
                  "draining a redirect body only to reuse the connection; a failure just closes it");
    }
  }
}

}  // namespace berth::remotes
