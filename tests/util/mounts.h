#pragma once
// Mounts made by the integration tests, always undone: `ctr images mount` roots, mounts described by
// `ctr snapshots mounts`, and a leak check over /proc/self/mountinfo.
//
//   ImageMount root;
//   ASSERT_TRUE(ImageMount::Mount(ctr, "docker.io/library/x:v1", dir.Join("mnt"), &root));
//   ... read root.path() ...
//   // destruction: `ctr images unmount --rm`, then a lazy umount if anything is still there

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/util/ctr.h"

namespace berth::testing {

// Mount points at or below `prefix` (absolute), deepest first.
std::vector<std::string> MountPointsUnder(const std::string& prefix);
// Lazily unmounts every mount point at or below prefix; returns how many there were.
int UnmountAllUnder(const std::string& prefix);

class ImageMount {
 public:
  ImageMount() = default;
  ImageMount(const ImageMount&) = delete;
  ImageMount& operator=(const ImageMount&) = delete;
  ~ImageMount();

  // `ctr images mount [--rw] IMAGE TARGET` (target created). The snapshot and lease are named after TARGET by
  // ctr. Always the overlayfs snapshotter: ctr 1.6 reads `images mount --snapshotter` as a global flag that
  // does not exist, so it is ignored (and unpacks into overlayfs if needed). For another snapshotter, use
  // `snapshots view` and SnapshotMount.
  static ::testing::AssertionResult Mount(const Ctr& ctr, const std::string& image, const std::string& target,
                                          ImageMount* out, bool rw = false);
  // `ctr images unmount --rm TARGET`; asserts it leaves nothing mounted there.
  ::testing::AssertionResult Unmount();

  const std::string& path() const { return target_; }
  bool mounted() const { return !target_.empty(); }

 private:
  std::optional<Ctr> ctr_;
  std::string target_;
};

// Mounts what `ctr snapshots mounts TARGET KEY` prints (one `mount -t ...` line per mount), unmounting on
// destruction.
class SnapshotMount {
 public:
  SnapshotMount() = default;
  SnapshotMount(const SnapshotMount&) = delete;
  SnapshotMount& operator=(const SnapshotMount&) = delete;
  ~SnapshotMount();

  static ::testing::AssertionResult Mount(const Ctr& ctr, const std::string& snapshotter, const std::string& key,
                                          const std::string& target, SnapshotMount* out);
  ::testing::AssertionResult Unmount();
  const std::string& path() const { return target_; }

 private:
  std::string target_;
};

}  // namespace berth::testing
