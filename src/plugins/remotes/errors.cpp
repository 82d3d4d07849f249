#include "plugins/remotes/errors.h"

#include <optional>

#include "absl/strings/cord.h"
#include "fmt/format.h"

namespace berth::remotes {
namespace {

constexpr char kReasonPayload[] = "type.berth.dev/remotes.reason";

}  // namespace

bool IsTransient(const absl::Status& s) { return s.code() == absl::StatusCode::kUnavailable; }

std::string ErrorReason(const absl::Status& s) {
  auto reason = s.GetPayload(kReasonPayload);  // absl::optional: Debian abseil is C++14
  if (reason) return std::string(*reason);
  switch (s.code()) {
    case absl::StatusCode::kOk: return "ok";
    case absl::StatusCode::kCancelled: return "cancelled";
    case absl::StatusCode::kDeadlineExceeded: return "deadline";
    case absl::StatusCode::kNotFound: return std::string(kReasonNotFound);
    case absl::StatusCode::kUnauthenticated: return std::string(kReasonUnauthorized);
    case absl::StatusCode::kPermissionDenied: return std::string(kReasonDenied);
    case absl::StatusCode::kDataLoss: return std::string(kReasonDigest);
    default: return std::string(kReasonOther);
  }
}

absl::Status WithReason(absl::Status s, std::string_view reason) {
  if (!s.ok()) s.SetPayload(kReasonPayload, absl::Cord(std::string(reason)));
  return s;
}

absl::Status TransientError(std::string_view reason, std::string_view message) {
  return WithReason(absl::UnavailableError(std::string(message)), reason);
}

absl::Status AddContext(const absl::Status& s, std::string_view context) {
  if (s.ok()) return s;
  absl::Status out(s.code(), fmt::format("{}: {}", context, std::string(s.message())));
  s.ForEachPayload([&](auto type_url, const absl::Cord& payload) { out.SetPayload(type_url, payload); });
  return out;
}

absl::Status HttpStatusError(int code, std::string_view what) {
  std::string message = fmt::format("{}: HTTP {}", what, code);
  if (code == 404) return WithReason(absl::NotFoundError(message + " (not found)"), kReasonNotFound);
  if (code == 401) {
    return WithReason(absl::UnauthenticatedError(message + " (unauthorized: check the credentials)"),
                      kReasonUnauthorized);
  }
  if (code == 403) return WithReason(absl::PermissionDeniedError(message + " (forbidden)"), kReasonDenied);
  if (code == 408) return TransientError(kReasonHttp408, message + " (request timeout)");
  if (code == 429) return TransientError(kReasonHttp429, message + " (too many requests)");
  if (code >= 500 && code <= 599) return TransientError(kReasonHttp5xx, message + " (server error)");
  if (code == 416) return absl::OutOfRangeError(message + " (range not satisfiable)");
  return absl::InvalidArgumentError(message + " (unexpected answer)");
}

}  // namespace berth::remotes
