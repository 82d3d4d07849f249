#include "plugins/remotes/errors.h"

#include <gtest/gtest.h>

#include "base/status.h"

namespace berth::remotes {
namespace {

TEST(ErrorsTest, HttpStatusesMapToCodesAndReasons) {
  struct Case {
    int http;
    absl::StatusCode code;
    std::string reason;
  };
  for (const Case& c : std::vector<Case>{{404, absl::StatusCode::kNotFound, "not_found"},
                                         {401, absl::StatusCode::kUnauthenticated, "unauthorized"},
                                         {403, absl::StatusCode::kPermissionDenied, "denied"},
                                         {408, absl::StatusCode::kUnavailable, "http_408"},
                                         {429, absl::StatusCode::kUnavailable, "http_429"},
                                         {500, absl::StatusCode::kUnavailable, "http_5xx"},
                                         {503, absl::StatusCode::kUnavailable, "http_5xx"},
                                         {416, absl::StatusCode::kOutOfRange, "other"},
                                         {400, absl::StatusCode::kInvalidArgument, "other"}}) {
    absl::Status s = HttpStatusError(c.http, "manifest 127.0.0.1:5000/a:v1");
    EXPECT_EQ(s.code(), c.code) << c.http;
    EXPECT_EQ(ErrorReason(s), c.reason) << c.http;
    EXPECT_EQ(IsTransient(s), c.code == absl::StatusCode::kUnavailable) << c.http;
    EXPECT_NE(std::string(s.message()).find("127.0.0.1:5000/a:v1"), std::string::npos) << s;
  }
}

TEST(ErrorsTest, AddContextKeepsTheReasonWhereWithContextDropsIt) {
  absl::Status s = TransientError(kReasonReset, "read from h:1: Connection reset by peer");
  absl::Status wrapped = AddContext(s, "blob sha256:ab");
  EXPECT_EQ(ErrorReason(wrapped), "reset");
  EXPECT_EQ(std::string(wrapped.message()), "blob sha256:ab: read from h:1: Connection reset by peer");
  EXPECT_EQ(ErrorReason(berth::WithContext(s, "x")), "other");  // why AddContext exists
}

TEST(ErrorsTest, ReasonsFromCodesWithoutPayload) {
  EXPECT_EQ(ErrorReason(absl::CancelledError("")), "cancelled");
  EXPECT_EQ(ErrorReason(absl::DeadlineExceededError("")), "deadline");
  EXPECT_EQ(ErrorReason(absl::DataLossError("")), "digest_mismatch");
  EXPECT_FALSE(IsTransient(absl::DeadlineExceededError("")));
}

}  // namespace
}  // namespace berth::remotes
