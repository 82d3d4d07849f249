// A small HTTP/1.1 client: keep-alive pool per endpoint, TLS, redirects, streaming bodies.
//
//   HttpClient client({.connect = {.connect_timeout = 5s, .idle_timeout = 30s}});
//   HttpRequest req{.url = *Url::Parse("https://registry:5000/v2/")};
//   ASSIGN_OR_RETURN(std::unique_ptr<HttpResponse> resp, client.Send(ctx, std::move(req), {.ca_file = ca}));
//   resp->status; resp->headers.Get("Content-Type"); resp->body().Read(ctx, buf);
//
// Thread-safe. A response owns its connection until destroyed; read to its end, the connection goes back to the
// pool for the next request to the same endpoint (unless the request asked for a fresh, unpooled one).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "plugins/remotes/connection.h"
#include "plugins/remotes/http_message.h"
#include "plugins/remotes/tls.h"

namespace berth::remotes {

struct HttpClientOptions {
  ConnectOptions connect;
  int max_idle_per_endpoint = 4;
  int max_redirects = 5;
  std::string user_agent = "berth/0.1";
};

struct SendOptions {
  TlsConfig tls;
  // false: a new connection that is closed after this response (long blob streams, one connection each).
  bool pooled = true;
};

class ConnectionPool;

class HttpResponse {
 public:
  HttpResponse(int status, Headers headers, Url url, HttpBody body, std::shared_ptr<ConnectionPool> pool,
               std::string pool_key);
  ~HttpResponse();  // returns a fully read keep-alive connection to the pool
  HttpResponse(const HttpResponse&) = delete;
  HttpResponse& operator=(const HttpResponse&) = delete;

  int status() const { return status_; }
  const Headers& headers() const { return headers_; }
  const Url& url() const { return url_; }  // after redirects
  HttpBody& body() { return body_; }

 private:
  int status_;
  Headers headers_;
  Url url_;
  HttpBody body_;
  std::shared_ptr<ConnectionPool> pool_;  // null: never pooled
  std::string pool_key_;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();

  // Sends `request` and reads the answer's head, following up to max_redirects redirects (301/302/303/307/308;
  // Authorization is dropped when the redirect leaves the origin). A pooled connection found dead when reused is
  // replaced by a new one once. Non-2xx answers are returned, not turned into errors.
  absl::StatusOr<std::unique_ptr<HttpResponse>> Send(const Context& ctx, HttpRequest request,
                                                     const SendOptions& options);

 private:
  absl::StatusOr<std::unique_ptr<HttpResponse>> SendOnce(const Context& ctx, const HttpRequest& request,
                                                         const SendOptions& options);
  absl::StatusOr<std::shared_ptr<TlsContext>> TlsFor(const TlsConfig& config);

  HttpClientOptions options_;
  std::shared_ptr<ConnectionPool> pool_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<TlsContext>> tls_contexts_;  // by TlsConfig::Key()
};

}  // namespace berth::remotes
