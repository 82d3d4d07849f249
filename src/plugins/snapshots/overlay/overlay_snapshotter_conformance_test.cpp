// The snapshotter conformance suite over OverlaySnapshotter.
#include "core/snapshots/testsuite/snapshot_suite.h"
#include "plugins/snapshots/overlay/overlay_snapshotter.h"

namespace berth::snapshots {
namespace {

using testing::SnapshotSuite;
using testing::SnapshotSuiteFixture;
using testing::SnapshotSuiteName;
using testing::SnapshotSuiteParam;

INSTANTIATE_TEST_SUITE_P(Overlay, SnapshotSuite,
                         ::testing::Values(SnapshotSuiteParam{
                             .name = "overlay",
                             .open = [](const std::string& root) -> absl::StatusOr<SnapshotSuiteFixture> {
                               ASSIGN_OR_RETURN(auto sn, OverlaySnapshotter::Open(root));
                               return SnapshotSuiteFixture{.snapshotter = std::move(sn)};
                             }}),
                         SnapshotSuiteName);

}  // namespace
}  // namespace berth::snapshots
