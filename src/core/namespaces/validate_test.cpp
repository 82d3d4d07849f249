#include <gtest/gtest.h>

#include "core/namespaces/namespaces.h"

namespace berth::namespaces {
namespace {

TEST(ValidateNameTest, AcceptsContainerdIdentifiers) {
  for (const char* ok : {"default", "k8s.io", "a", "moby", "test-1_2.x", "A9"}) {
    EXPECT_TRUE(ValidateName(ok).ok()) << ok;
  }
}

TEST(ValidateNameTest, RejectsSeparatorsAtEdgesPathsAndOverlongNames) {
  for (const char* bad : {"", "-a", "a-", "a..b", "a/b", "../x", "a b", "ä"}) {
    EXPECT_EQ(ValidateName(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(ValidateName(std::string(77, 'a')).ok());
  EXPECT_TRUE(ValidateName(std::string(76, 'a')).ok());
}

}  // namespace
}  // namespace berth::namespaces
