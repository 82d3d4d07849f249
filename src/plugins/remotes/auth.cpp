#include "plugins/remotes/auth.h"

#include <openssl/evp.h>

#include <cctype>

#include "absl/time/clock.h"
#include "base/status.h"
#include "nlohmann/json.hpp"
#include "plugins/remotes/errors.h"

namespace berth::remotes {
namespace {

constexpr int64_t kMaxTokenResponse = 1 << 20;
// Tokens without expires_in live 60 s (distribution's token spec); refresh a little before they expire.
constexpr absl::Duration kDefaultTokenLifetime = absl::Seconds(60);
constexpr absl::Duration kExpiryMargin = absl::Seconds(10);
// A basic answer does not expire; cache it for long.
constexpr absl::Duration kBasicLifetime = absl::Hours(1);

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Parses `key=value` or `key="quoted, value"` pairs starting at `s`; stops at the next scheme token.
// Advances `s` past what it consumed.
void ParseParams(std::string_view& s, std::map<std::string, std::string>* params) {
  for (int guard = 0; guard < 64 && !s.empty(); ++guard) {
    s = TrimSpace(s);
    while (!s.empty() && s.front() == ',') s = TrimSpace(s.substr(1));
    size_t eq = s.find('=');
    size_t space = s.find_first_of(" ,");
    if (eq == std::string_view::npos || (space != std::string_view::npos && space < eq)) return;  // a new scheme
    std::string key = Lower(TrimSpace(s.substr(0, eq)));
    s = s.substr(eq + 1);
    std::string value;
    if (!s.empty() && s.front() == '"') {
      size_t i = 1;
      for (; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        value += s[i];
      }
      s = s.substr(std::min(s.size(), i + 1));
    } else {
      size_t end = s.find(',');
      value = std::string(TrimSpace(s.substr(0, end)));
      s = end == std::string_view::npos ? std::string_view() : s.substr(end);
    }
    (*params)[key] = value;
  }
}

std::string Base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace

std::vector<Challenge> ParseChallenges(const std::vector<std::string>& header_values) {
  std::vector<Challenge> out;
  for (const std::string& value : header_values) {
    std::string_view s = value;
    for (int guard = 0; guard < 16 && !TrimSpace(s).empty(); ++guard) {
      s = TrimSpace(s);
      while (!s.empty() && s.front() == ',') s = TrimSpace(s.substr(1));
      size_t end = s.find_first_of(" ,");
      Challenge challenge{.scheme = Lower(s.substr(0, end))};
      s = end == std::string_view::npos ? std::string_view() : s.substr(end);
      ParseParams(s, &challenge.params);
      if (!challenge.scheme.empty()) out.push_back(std::move(challenge));
    }
  }
  return out;
}

std::string PullScope(std::string_view repository) { return fmt::format("repository:{}:pull", repository); }

std::string BasicAuthorization(const Credentials& credentials) {
  return "Basic " + Base64(credentials.username + ":" + credentials.password);
}

std::optional<std::string> Authenticator::Cached(const std::string& endpoint, const std::string& scope) {
  std::lock_guard lock(mu_);
  absl::Time now = absl::Now();
  for (const std::string& key : {endpoint + "|" + scope, endpoint + "|"}) {  // scoped token, then basic
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now) return it->second.authorization;
  }
  return std::nullopt;
}

absl::StatusOr<std::string> Authenticator::Answer(const Context& ctx, const std::string& endpoint,
                                                  const std::string& scope,
                                                  const std::vector<std::string>& www_authenticate,
                                                  const Credentials& credentials,
                                                  const SendOptions& send_options) {
  std::vector<Challenge> challenges = ParseChallenges(www_authenticate);
  for (const Challenge& c : challenges) {
    if (c.scheme != "bearer") continue;
    absl::Duration lifetime;
    ASSIGN_OR_RETURN(std::string token, FetchToken(ctx, endpoint, c, scope, credentials, send_options, &lifetime));
    std::string authorization = "Bearer " + token;
    std::lock_guard lock(mu_);
    cache_[endpoint + "|" + scope] = {authorization, absl::Now() + lifetime};
    return authorization;
  }
  for (const Challenge& c : challenges) {
    if (c.scheme != "basic") continue;
    if (credentials.empty()) {
      return WithReason(absl::UnauthenticatedError(fmt::format(
                            "{} asks for basic credentials and none are configured for it", endpoint)),
                        kReasonUnauthorized);
    }
    std::string authorization = BasicAuthorization(credentials);
    std::lock_guard lock(mu_);
    cache_[endpoint + "|"] = {authorization, absl::Now() + kBasicLifetime};
    return authorization;
  }
  std::string schemes;
  for (const Challenge& c : challenges) schemes += (schemes.empty() ? "" : ", ") + c.scheme;
  return absl::InvalidArgumentError(fmt::format(
      "{} answered 401 with no Bearer or Basic challenge (got: \"{}\")", endpoint,
      schemes.empty() ? "no WWW-Authenticate" : schemes));
}

absl::StatusOr<std::string> Authenticator::FetchToken(const Context& ctx, const std::string& endpoint,
                                                      const Challenge& bearer, const std::string& scope,
                                                      const Credentials& credentials,
                                                      const SendOptions& send_options, absl::Duration* lifetime) {
  auto realm = bearer.params.find("realm");
  if (realm == bearer.params.end() || realm->second.empty()) {
    return absl::InvalidArgumentError(fmt::format("{}: Bearer challenge without a realm", endpoint));
  }
  ASSIGN_OR_RETURN(Url url, Url::Parse(realm->second));
  std::string query;
  auto service = bearer.params.find("service");
  if (service != bearer.params.end()) query += "service=" + QueryEscape(service->second);
  auto challenge_scope = bearer.params.find("scope");
  // The registry names the scope it wants; ours is the fallback (and the cache key).
  std::string wanted = challenge_scope != bearer.params.end() ? challenge_scope->second : scope;
  if (!wanted.empty()) query += (query.empty() ? "" : "&") + ("scope=" + QueryEscape(wanted));
  if (!query.empty()) url.target += (url.target.find('?') == std::string::npos ? "?" : "&") + query;

  HttpRequest request{.url = url};
  request.headers.Add("Accept", "application/json");
  if (!credentials.empty()) request.headers.Add("Authorization", BasicAuthorization(credentials));
  std::string what = fmt::format("token for {} from {}", endpoint, url.Authority());
  ASSIGN_OR_RETURN(std::unique_ptr<HttpResponse> response, http_->Send(ctx, std::move(request), send_options));
  if (response->status() != 200) {
    absl::Status s = HttpStatusError(response->status(), what);
    if (response->status() == 401 || response->status() == 403) {
      return WithReason(absl::UnauthenticatedError(std::string(s.message()) +
                                                   (credentials.empty() ? " (no credentials configured)" : "")),
                        kReasonUnauthorized);
    }
    return s;
  }
  ASSIGN_OR_RETURN(std::string body, response->body().ReadAll(ctx, kMaxTokenResponse));
  nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return absl::InvalidArgumentError(what + ": answer is not a JSON object");
  std::string token;
  for (const char* field : {"token", "access_token"}) {
    auto it = json.find(field);
    if (it != json.end() && it->is_string() && !it->get<std::string>().empty()) {
      token = it->get<std::string>();
      break;
    }
  }
  if (token.empty()) return absl::InvalidArgumentError(what + ": answer has no \"token\" or \"access_token\"");
  *lifetime = kDefaultTokenLifetime;
  if (auto it = json.find("expires_in"); it != json.end() && it->is_number_integer() && it->get<int64_t>() > 0) {
    *lifetime = absl::Seconds(it->get<int64_t>());
  }
  *lifetime = std::max(absl::Seconds(1), *lifetime - kExpiryMargin);
  return token;
}

}  // namespace berth::remotes
