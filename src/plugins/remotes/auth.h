// Registry authentication: parses WWW-Authenticate challenges and answers them.
//   Bearer realm="https://auth/token",service="registry",scope="repository:a/b:pull"
//     → GET realm?service=..&scope=.. (with basic credentials when configured) → {"token"|"access_token": ...}
//   Basic realm="..." → "Basic base64(user:password)"
// Answers are cached per registry endpoint and scope until the token expires. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/context.h"
#include "plugins/remotes/http_client.h"

namespace berth::remotes {

struct Challenge {
  std::string scheme;                         // lowercased: "bearer", "basic"
  std::map<std::string, std::string> params;  // keys lowercased
};

// All challenges of the given WWW-Authenticate header values; malformed parts are skipped.
std::vector<Challenge> ParseChallenges(const std::vector<std::string>& header_values);

struct Credentials {
  std::string username, password;
  bool empty() const { return username.empty() && password.empty(); }
};

// "repository:<repo>:pull", the scope a pull needs.
std::string PullScope(std::string_view repository);

std::string BasicAuthorization(const Credentials& credentials);

class Authenticator {
 public:
  explicit Authenticator(HttpClient* http) : http_(http) {}

  // The Authorization value cached for requests to `endpoint` ("host:port") in `scope`, if any.
  std::optional<std::string> Cached(const std::string& endpoint, const std::string& scope);

  // Answers a 401 from `endpoint`: fetches a bearer token (or builds a basic header), caches and returns it.
  // Unauthenticated when the challenge needs credentials we do not have or the token server refuses them;
  // InvalidArgument for schemes other than Bearer and Basic.
  absl::StatusOr<std::string> Answer(const Context& ctx, const std::string& endpoint, const std::string& scope,
                                     const std::vector<std::string>& www_authenticate,
                                     const Credentials& credentials, const SendOptions& send_options);

 private:
  absl::StatusOr<std::string> FetchToken(const Context& ctx, const std::string& endpoint, const Challenge& bearer,
                                         const std::string& scope, const Credentials& credentials,
                                         const SendOptions& send_options, absl::Duration* lifetime);

  struct Entry {
    std::string authorization;
    absl::Time expires;
  };
  HttpClient* http_;
  std::mutex mu_;
  std::map<std::string, Entry> cache_;  // "endpoint|scope" → header
};

}  // namespace berth::remotes
