// Tests of what layered snapshots show: file edits across layers checked through real mounts, usage, and a
// deep chain.
#include <sys/stat.h>

#include <fstream>

#include "core/snapshots/testsuite/snapshot_suite.h"

namespace berth::snapshots::testing {

// containerd's checkLayerFileUpdate.
TEST_P(SnapshotSuite, LayerFileUpdate) {
  CheckLayers({
      {CreateFile("/foo", "foo\n", 0777)},
      {CreateFile("/foo", "bar\n", 0777)},
      {CreateFile("/foo", "baz\n", 0644)},
  });
}

// containerd's checkRemoveDirectoryInLowerLayer.
TEST_P(SnapshotSuite, RemoveDirectoryInLowerLayer) {
  CheckLayers({
      {CreateDir("/lib", 0700), CreateFile("/lib/hidden", "", 0644)},
      {RemoveAll("/lib"), CreateDir("/lib", 0755), CreateFile("/lib/not-hidden", "", 0644)},
      {CreateFile("/lib/newfile", "", 0644)},
  });
}

// containerd's checkChown: owners set in lower layers show through, and changing them copies up.
TEST_P(SnapshotSuite, Chown) {
  CheckLayers({
      {CreateDir("/opt", 0711), CreateDir("/opt/a", 0700), CreateDir("/opt/a/b", 0700),
       CreateFile("/opt/a/b/file.txt", "hello", 0644)},
      {Chown("/opt", 1, 1), Chown("/opt/a", 1, 1), Chown("/opt/a/b", 1, 1), Chown("/opt/a/b/file.txt", 1, 1)},
      {Chown("/opt/a/b/file.txt", 2, 3)},
  });
}

// containerd's checkDirectoryPermissionOnCommit.
TEST_P(SnapshotSuite, DirectoryPermissionOnCommit) {
  CheckLayers({
      {CreateDir("/dir1", 0700), CreateDir("/dir2", 0750), CreateDir("/dir3", 0701), Chown("/dir1", 1, 1),
       CreateDir("/dir4", 0700), CreateFile("/dir4/file", "", 0600)},
      {CreateDir("/dir5", 0750), Chown("/dir4", 2, 2), Chmod("/dir2", 0755)},
  });
}

// containerd's checkDeletedFilesInChildSnapshot.
TEST_P(SnapshotSuite, DeletedFilesInChildSnapshot) {
  CheckLayers({
      {CreateFile("/foo", "foo\n", 0777), CreateFile("/foobar", "foobar\n", 0777)},
      {RemoveAll("/foobar")},
      {},
  });
}

// containerd's checkFileFromLowerLayer: hard links and removals across layers.
TEST_P(SnapshotSuite, MoveFileFromLowerLayer) {
  CheckLayers({
      {CreateDir("/dir1", 0700), CreateFile("/dir1/f1", "Hello", 0644), CreateDir("dir2", 0700),
       CreateFile("dir2/f2", "...", 0644)},
      {CreateDir("/dir3", 0700), CreateFile("/dir3/f1", "Hello", 0644), RemoveAll("/dir1"),
       Link("dir2/f2", "dir3/f2"), RemoveAll("dir2/f2")},
  });
}

// containerd's checkRename (which containerd skips): renames of files from lower layers, and of a directory
// made in the same layer. Renaming a directory that comes from a lower layer is EXDEV on overlayfs without
// redirect_dir (tools then copy), so it is not part of the contract.
TEST_P(SnapshotSuite, Rename) {
  CheckLayers({
      {CreateDir("/somefiles", 0755), CreateFile("/somefiles/f1", "was here first!", 0644),
       CreateFile("/somefiles/f2", "nothing interesting", 0644)},
      {CreateDir("/dir1", 0700), CreateFile("/dir1/x", "x", 0600), Rename("/dir1", "/dir2"),
       CreateFile("/somefiles/f1-overwrite", "new content 1", 0644),
       Rename("/somefiles/f1-overwrite", "/somefiles/f1"), Rename("/somefiles/f2", "/somefiles/f3")},
  });
}

// Symlinks are kept as links (never followed), special modes survive, opaque replacement of a directory.
TEST_P(SnapshotSuite, SymlinksAndModes) {
  CheckLayers({
      {CreateDir("/bin", 0755), CreateFile("/bin/busybox", "#!", 04755), Symlink("busybox", "/bin/sh"),
       Symlink("/etc/missing", "/dangling"), CreateDir("/tmp", 01777), CreateDir("/etc", 0755),
       CreateFile("/etc/passwd", "root:x:0:0\n", 0644)},
      {Symlink("/bin/busybox", "/bin/ls"), RemoveAll("/etc"), CreateDir("/etc", 0700),
       CreateFile("/etc/hosts", "127.0.0.1 localhost\n", 0644), Chmod("/bin/busybox", 02755)},
      {RemoveAll("/bin/sh"), CreateFile("/bin/sh", "not a link now", 0700)},
  });
}

// Usage of committed snapshots is what their layer adds (blocks and distinct inodes); of active ones it is
// computed when asked.
TEST_P(SnapshotSuite, Usage) {
  const std::string mib(1 << 20, 'x');
  BERTH_ASSERT_OK(CommitLayer("base", "base-active", "",
                              {CreateDir("d", 0755), CreateFile("d/big", mib, 0644), Link("d/big", "d/big-link")}));
  BERTH_ASSERT_OK_AND_ASSIGN(Usage base, sn().GetUsage(ctx(), "base"));
  EXPECT_GE(base.size, int64_t{1} << 20);
  EXPECT_LT(base.size, int64_t{2} << 20) << "a hard link must count once";
  // The layer root, d and the one inode of big and big-link.
  EXPECT_EQ(base.inodes, 3);

  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<mount::Mount> mounts, sn().Prepare(ctx(), "active", "base", GcRoot()));
  BERTH_ASSERT_OK_AND_ASSIGN(Usage empty, sn().GetUsage(ctx(), "active"));
  if (GetParam().usage_excludes_parent) {
    EXPECT_LT(empty.size, int64_t{1} << 20) << "an empty child adds nothing of its parent's";
  } else {
    EXPECT_GE(empty.size, base.size) << "a full copy holds its parent's bytes";
    EXPECT_EQ(empty.inodes, base.inodes);
  }
  {
    BERTH_ASSERT_OK_AND_ASSIGN(ScopedMount m, ScopedMount::Mount(mounts, WorkDir("active")));
    BERTH_ASSERT_OK(ApplyOps({CreateFile("two", mib + mib, 0644)}, m.target()));
  }
  BERTH_ASSERT_OK_AND_ASSIGN(Usage grown, sn().GetUsage(ctx(), "active"));
  EXPECT_GE(grown.size, empty.size + (int64_t{2} << 20));
  EXPECT_EQ(grown.inodes, empty.inodes + 1);
  BERTH_ASSERT_OK(sn().Commit(ctx(), "top", "active", GcRoot()));
  BERTH_ASSERT_OK_AND_ASSIGN(Usage top, sn().GetUsage(ctx(), "top"));
  EXPECT_EQ(top.size, grown.size);
  EXPECT_EQ(top.inodes, grown.inodes);
  BERTH_ASSERT_OK_AND_ASSIGN(Usage view, sn().GetUsage(ctx(), "base"));
  EXPECT_EQ(view.size, base.size) << "usage of a committed snapshot does not change";
}

// containerd's check128LayersMount: a deep chain shows exactly the flattened tree at every step.
TEST_P(SnapshotSuite, DeepChain) {
  const int layers = GetParam().deep_chain_layers;
  std::vector<TreeOps> appliers = {{
      CreateFile("/bottom", "way at the bottom\n", 0777),
      CreateFile("/overwriteme", "FIRST!\n", 0777),
      CreateDir("/ADDHERE", 0755),
      CreateDir("/ONLYME", 0755),
      CreateFile("/ONLYME/bottom", "bye!\n", 0777),
  }};
  for (int i = 1; i < layers; ++i) {
    appliers.push_back({
        CreateFile("/overwriteme", fmt::format("{} WAS HERE!\n", i), 0777),
        CreateFile(fmt::format("/ADDHERE/file-{}", i), "same\n", 0755),
        RemoveAll("/ONLYME"),
        CreateDir("/ONLYME", 0755),
        CreateFile(fmt::format("/ONLYME/file-{}", i), "only me!\n", 0777),
    });
  }
  const std::filesystem::path flat = WorkDir("flat");
  std::string parent;
  for (int i = 0; i < layers; ++i) {
    SCOPED_TRACE(fmt::format("layer {}", i));
    std::string key = fmt::format("prepare-layer-{}", i);
    BERTH_ASSERT_OK_AND_ASSIGN(std::vector<mount::Mount> mounts, sn().Prepare(ctx(), key, parent, GcRoot()));
    {
      BERTH_ASSERT_OK_AND_ASSIGN(ScopedMount m, ScopedMount::Mount(mounts, WorkDir(key)));
      BERTH_ASSERT_OK_AND_ASSIGN(Tree before, ReadTree(flat));
      BERTH_ASSERT_OK_AND_ASSIGN(Tree got, ReadTree(m.target()));
      ASSERT_EQ(DiffTrees(before, got), "") << "before applying";
      BERTH_ASSERT_OK(ApplyOps(appliers[i], flat));
      BERTH_ASSERT_OK(ApplyOps(appliers[i], m.target()));
      BERTH_ASSERT_OK_AND_ASSIGN(Tree after, ReadTree(flat));
      BERTH_ASSERT_OK_AND_ASSIGN(got, ReadTree(m.target()));
      ASSERT_EQ(DiffTrees(after, got), "") << "after applying";
      BERTH_ASSERT_OK(m.Unmount());
    }
    parent = fmt::format("committed-{}", i);
    BERTH_ASSERT_OK(sn().Commit(ctx(), parent, key, GcRoot()));
  }
  BERTH_ASSERT_OK_AND_ASSIGN(Tree want, ReadTree(flat));
  BERTH_ASSERT_OK_AND_ASSIGN(std::vector<mount::Mount> view, sn().View(ctx(), "fullview", parent, GcRoot()));
  ExpectMountedTree(view, want);
}

}  // namespace berth::snapshots::testing
