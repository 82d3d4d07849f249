// metadata::ContentStore over a LocalStore passes the content::Store conformance suite, labels included.
#include "base/status.h"
#include "core/content/testsuite/content_suite.h"
#include "metadata/content_store.h"
#include "plugins/content/local/local_store.h"

namespace berth::metadata {
namespace {

using content::testing::ContentSuite;
using content::testing::ContentSuiteFixture;
using content::testing::ContentSuiteParam;

struct Resources {
  std::unique_ptr<Db> db;
};

absl::StatusOr<ContentSuiteFixture> OpenMetadataStore(const std::string& root) {
  ASSIGN_OR_RETURN(std::unique_ptr<content::LocalStore> local, content::LocalStore::Open(root + "/content"));
  auto resources = std::make_shared<Resources>();
  ASSIGN_OR_RETURN(resources->db, Db::Open(root));
  ContentSuiteFixture fixture;
  fixture.store = std::make_unique<ContentStore>(resources->db.get(), std::move(local));
  fixture.resources = resources;
  fixture.ctx.ns = "conformance";
  return fixture;
}

INSTANTIATE_TEST_SUITE_P(MetadataContentStore, ContentSuite,
                         ::testing::Values(ContentSuiteParam{.name = "metadata", .open = OpenMetadataStore}),
                         content::testing::ContentSuiteName);

}  // namespace
}  // namespace berth::metadata
