// The conformance suite of snapshots::Snapshotter (containerd's snapshots/testsuite): every backend and
// wrapper instantiates it. Needs root: it mounts what the snapshotter returns and checks real file contents.
//
// Usage, in a test binary linked with the berth_snapshots_testsuite OBJECT library:
//
//   INSTANTIATE_TEST_SUITE_P(Overlay, SnapshotSuite, ::testing::Values(SnapshotSuiteParam{
//       .name = "overlay",
//       .open = [](const std::string& root) -> absl::StatusOr<SnapshotSuiteFixture> {
//         ASSIGN_OR_RETURN(auto sn, OverlaySnapshotter::Open(root));
//         return SnapshotSuiteFixture{.snapshotter = std::move(sn)};
//       }}),
//       SnapshotSuiteName);
//
// Each test gets a fresh directory: `open` is called on <dir>/root; mount points live in <dir>/work. To check
// persistence a test destroys the fixture (as a restart would) and calls `open` again on the same root.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "base/context.h"
#include "base/status.h"
#include "core/snapshots/snapshotter.h"
#include "core/snapshots/testsuite/scoped_mount.h"
#include "core/snapshots/testsuite/tree.h"

#ifndef BERTH_ASSERT_OK
#define BERTH_ASSERT_OK(expr)                    \
  do {                                           \
    const absl::Status _s = (expr);              \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s; \
  } while (0)
#endif
#ifndef BERTH_EXPECT_OK
#define BERTH_EXPECT_OK(expr)                    \
  do {                                           \
    const absl::Status _s = (expr);              \
    EXPECT_TRUE(_s.ok()) << #expr << ": " << _s; \
  } while (0)
#endif
#ifndef BERTH_ASSERT_OK_AND_ASSIGN
#define BERTH_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  BERTH_ASSERT_OK_AND_ASSIGN_IMPL(BERTH_CONCAT(_status_or_, __LINE__), lhs, expr)
#define BERTH_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr)   \
  auto tmp = (expr);                                      \
  ASSERT_TRUE(tmp.ok()) << #expr << ": " << tmp.status(); \
  lhs = std::move(tmp).value()
#endif

namespace berth::snapshots::testing {

struct SnapshotSuiteFixture {
  // Whatever the snapshotter needs kept alive (a metadata database, a backend); destroyed after it.
  std::shared_ptr<void> resources;
  std::unique_ptr<Snapshotter> snapshotter;
  // The context the suite passes to every call (a namespace for namespaced wrappers).
  Context ctx;
};

struct SnapshotSuiteParam {
  std::string name;  // test name suffix: letters, digits and '_' only
  // Opens a snapshotter whose state lives under `root` (an existing directory the test owns).
  std::function<absl::StatusOr<SnapshotSuiteFixture>(const std::string& root)> open;
  // Layers in the deep-chain test (containerd runs 128).
  int deep_chain_layers = 128;
  // Usage counts only what a snapshot adds over its parent. False for backends whose snapshots hold a full
  // copy of their parent (native), where an empty child's usage is its parent's size.
  bool usage_excludes_parent = true;
};

void PrintTo(const SnapshotSuiteParam& param, std::ostream* os);
std::string SnapshotSuiteName(const ::testing::TestParamInfo<SnapshotSuiteParam>& info);

class SnapshotSuite : public ::testing::TestWithParam<SnapshotSuiteParam> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Destroys the snapshotter and opens it again over the same root, as a daemon restart would.
  void Restart();

  Snapshotter& sn() { return *fixture_.snapshotter; }
  const Context& ctx() const { return fixture_.ctx; }
  const std::filesystem::path& root() const { return root_; }
  // A fresh empty directory under the work area, for a mount point or a reference tree.
  std::filesystem::path WorkDir(const std::string& name);

  // Prepares `key` on `parent`, mounts it, applies `ops`, unmounts and commits it as `name`.
  absl::Status CommitLayer(const std::string& name, const std::string& key, const std::string& parent,
                           const TreeOps& ops);
  // Commits a chain with one layer per `layers` entry, then checks that a View of the top (mounted) shows
  // exactly the tree all of them make when applied in order to a plain directory.
  void CheckLayers(const std::vector<TreeOps>& layers);
  // Mounts `mounts` and compares what they show with `want`.
  void ExpectMountedTree(const std::vector<mount::Mount>& mounts, const Tree& want);

  static const Options& GcRoot();

 private:
  std::filesystem::path dir_;
  std::filesystem::path root_;
  int work_dirs_ = 0;
  SnapshotSuiteFixture fixture_;
};

}  // namespace berth::snapshots::testing
