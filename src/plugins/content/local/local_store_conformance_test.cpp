// LocalStore passes the content::Store conformance suite (labels are the metadata store's, so
// skipped).
#include "core/content/testsuite/content_suite.h"
#include "plugins/content/local/local_store.h"

namespace berth::content {
namespace {

using testing::ContentSuite;
using testing::ContentSuiteFixture;
using testing::ContentSuiteParam;

absl::StatusOr<ContentSuiteFixture> OpenLocal(const std::string& root, int64_t writeback_bytes) {
  absl::StatusOr<std::unique_ptr<LocalStore>> store =
      LocalStore::Open(root, {.writeback_bytes = writeback_bytes});
  if (!store.ok()) return store.status();
  return ContentSuiteFixture{.store = std::move(*store)};
}

INSTANTIATE_TEST_SUITE_P(
    LocalStore, ContentSuite,
    ::testing::Values(
        ContentSuiteParam{.name = "local",
                          .open = [](const std::string& root) { return OpenLocal(root, 8 << 20); },
                          .labels = false},
        // Writeback on every write exercises that path on small blobs too.
        ContentSuiteParam{.name = "local_eager_writeback",
                          .open = [](const std::string& root) { return OpenLocal(root, 1); },
                          .labels = false}),
    testing::ContentSuiteName);

}  // namespace
}  // namespace berth::content
