// Error classification for registry traffic: which failures a retry can cure, and a short reason for metrics.
//
//   absl::Status s = ...;
//   if (remotes::IsTransient(s)) metrics.retries[remotes::ErrorReason(s)]++;   // "reset", "timeout", "http_5xx"
//
// Transient (Unavailable): connection refused/reset, connect/idle timeout, premature EOF, HTTP 408/429/5xx.
// Permanent: NotFound (404), Unauthenticated (401 after auth), PermissionDenied (403), DataLoss (digest or size
// mismatch), InvalidArgument (malformed answers, caps), OutOfRange (416), FailedPrecondition (untrusted TLS
// certificate). Cancelled/DeadlineExceeded come from
// the caller's Context and are never retried.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace berth::remotes {

// Reasons attached to statuses made here (ErrorReason returns one of these, or "other").
inline constexpr std::string_view kReasonRefused = "refused";
inline constexpr std::string_view kReasonReset = "reset";
inline constexpr std::string_view kReasonTimeout = "timeout";
inline constexpr std::string_view kReasonEof = "eof";
inline constexpr std::string_view kReasonDns = "dns";
inline constexpr std::string_view kReasonUnreachable = "unreachable";
inline constexpr std::string_view kReasonTls = "tls";
inline constexpr std::string_view kReasonHttp408 = "http_408";
inline constexpr std::string_view kReasonHttp429 = "http_429";
inline constexpr std::string_view kReasonHttp5xx = "http_5xx";
inline constexpr std::string_view kReasonNotFound = "not_found";
inline constexpr std::string_view kReasonUnauthorized = "unauthorized";
inline constexpr std::string_view kReasonDenied = "denied";
inline constexpr std::string_view kReasonDigest = "digest_mismatch";
inline constexpr std::string_view kReasonOther = "other";

// True for failures worth retrying (code Unavailable).
bool IsTransient(const absl::Status& s);

// The reason attached by WithReason, or one derived from the code ("cancelled", "deadline", "other").
std::string ErrorReason(const absl::Status& s);

// `s` with a reason payload attached. berth::WithContext rebuilds a status and drops payloads: add context to
// classified errors with AddContext below.
absl::Status WithReason(absl::Status s, std::string_view reason);

// Transient error with a reason: Unavailable("<message>").
absl::Status TransientError(std::string_view reason, std::string_view message);

// Adds context to the message and keeps the reason payload (berth::WithContext drops payloads).
absl::Status AddContext(const absl::Status& s, std::string_view context);

// The status for an HTTP answer that is not a success: 404 → NotFound, 401 → Unauthenticated, 403 →
// PermissionDenied, 408/429/5xx → Unavailable, 416 → OutOfRange, other → InvalidArgument. `what` names the
// object and host ("manifest 127.0.0.1:5000/a/b:v1").
absl::Status HttpStatusError(int code, std::string_view what);

}  // namespace berth::remotes
