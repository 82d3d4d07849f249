// The snapshotter conformance suite over NativeSnapshotter.
#include "core/snapshots/testsuite/snapshot_suite.h"
#include "plugins/snapshots/native/native_snapshotter.h"

namespace berth::snapshots {
namespace {

using testing::SnapshotSuite;
using testing::SnapshotSuiteFixture;
using testing::SnapshotSuiteName;
using testing::SnapshotSuiteParam;

INSTANTIATE_TEST_SUITE_P(Native, SnapshotSuite,
                         ::testing::Values(SnapshotSuiteParam{
                             .name = "native",
                             .open = [](const std::string& root) -> absl::StatusOr<SnapshotSuiteFixture> {
                               ASSIGN_OR_RETURN(auto sn, NativeSnapshotter::Open(root));
                               return SnapshotSuiteFixture{.snapshotter = std::move(sn)};
                             },
                             .usage_excludes_parent = false}),
                         SnapshotSuiteName);

}  // namespace
}  // namespace berth::snapshots
