// metadata::SnapshotStore over each backend passes the snapshots::Snapshotter conformance suite,
// run in a namespace: the wrapper must keep every promise its backend makes.
#include <filesystem>

#include "core/snapshots/testsuite/snapshot_suite.h"
#include "metadata/snapshot_store.h"
#include "plugins/snapshots/native/native_snapshotter.h"
#include "plugins/snapshots/overlay/overlay_snapshotter.h"

namespace berth::metadata {
namespace {

using snapshots::testing::SnapshotSuite;
using snapshots::testing::SnapshotSuiteFixture;
using snapshots::testing::SnapshotSuiteParam;

// The Db must outlive the store; the fixture destroys `resources` after the snapshotter.
struct Resources {
  std::unique_ptr<Db> db;
};

// Opens the backend under <root>/snapshots/<name> (the daemon's layout) wrapped in a SnapshotStore.
template <typename Backend>
absl::StatusOr<SnapshotSuiteFixture> OpenWrapped(const std::string& root, const std::string& name) {
  std::error_code ec;
  std::filesystem::create_directories(root + "/snapshots",
                                      ec);  // as the daemon does
  ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend, Backend::Open(root + "/snapshots/" + name));
  auto resources = std::make_shared<Resources>();
  ASSIGN_OR_RETURN(resources->db, Db::Open(root));
  SnapshotSuiteFixture fixture;
  ASSIGN_OR_RETURN(fixture.snapshotter,
                   SnapshotStore::Open(resources->db.get(), name, std::move(backend)));
  fixture.resources = resources;
  fixture.ctx.ns = "conformance";
  return fixture;
}

INSTANTIATE_TEST_SUITE_P(
    Metadata, SnapshotSuite,
    ::testing::Values(SnapshotSuiteParam{.name = "metadata_overlay",
                                         .open =
                                             [](const std::string& root) {
                                               return OpenWrapped<snapshots::OverlaySnapshotter>(
                                                   root, "overlayfs");
                                             }},
                      SnapshotSuiteParam{.name = "metadata_native",
                                         .open =
                                             [](const std::string& root) {
                                               return OpenWrapped<snapshots::NativeSnapshotter>(
                                                   root, "native");
                                             },
                                         .usage_excludes_parent = false}),
    snapshots::testing::SnapshotSuiteName);

}  // namespace
}  // namespace berth::metadata
