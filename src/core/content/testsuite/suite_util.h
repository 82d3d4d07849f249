// Helpers shared by the content conformance tests (and usable by backend-specific tests).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/status.h"
#include "core/content/content.h"

#define BERTH_EXPECT_OK(expr)                    \
  do {                                           \
    const absl::Status _s = (expr);              \
    EXPECT_TRUE(_s.ok()) << #expr << ": " << _s; \
  } while (0)

#define BERTH_ASSERT_OK(expr)                    \
  do {                                           \
    const absl::Status _s = (expr);              \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s; \
  } while (0)

#define BERTH_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  BERTH_ASSERT_OK_AND_ASSIGN_IMPL(BERTH_CONCAT(_status_or_, __LINE__), lhs, expr)
#define BERTH_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr)   \
  auto tmp = (expr);                                      \
  ASSERT_TRUE(tmp.ok()) << #expr << ": " << tmp.status(); \
  lhs = std::move(tmp).value()

namespace berth::content::testing {

// Deterministic pseudo-random bytes: different seeds give different blobs.
std::string RandomBytes(size_t size, uint64_t seed);

// Writes `data` through a writer on `ref` in `chunk`-sized writes and commits it with its size and
// digest (plus `labels`). Returns the digest.
absl::StatusOr<Digest> WriteBlob(Store& store, const Context& ctx, const std::string& ref,
                                 std::string_view data, const Labels& labels = {},
                                 size_t chunk = 64 << 10);

// Reads a whole blob through OpenReader.
absl::StatusOr<std::string> ReadBlob(Store& store, const Context& ctx, const Digest& digest);

// Whether `s`'s message contains `part` (absl::string_view is not std::string_view here; see
// base/status.h).
inline bool MessageHas(const absl::Status& s, std::string_view part) {
  return std::string(s.message()).find(part) != std::string::npos;
}

}  // namespace berth::content::testing
