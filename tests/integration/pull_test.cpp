// Issue 3 acceptance: `ctr images pull --plain-http` (ctr unpacks client-side through snapshots.Prepare,
// diff.Apply and snapshots.Commit) gives, with the overlayfs and the native snapshotter, the same root filesystem
// as a real containerd pulling the same image: type, mode, owner, size, content, link target, device numbers,
// xattrs and hardlink grouping of every entry. The image covers every entry kind in gzip, zstd and plain layers.
// Also: the unpacked image survives a daemon restart, and `images rm` lets GC take its snapshots and content.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "tests/util/fixture.h"
#include "tests/util/mounts.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr int64_t kOldTime = 1234567890;  // 2009-02-13, a distinct mtime

// A v2 file capability (VFS_CAP_REVISION_2, effective) granting cap_net_bind_service (bit 10) permitted.
std::string NetBindCapability() {
  std::string cap(20, '\0');
  cap[0] = 0x01;  // effective flag
  cap[3] = 0x02;  // revision 2 (0x02000000)
  cap[5] = 0x04;  // permitted bit 10
  return cap;
}

// Three layers, gzip then zstd then plain, with every entry kind and the OCI whiteout forms between them.
std::vector<LayerSpec> EveryKindLayers() {
  LayerSpec base{.compression = "gzip"};
  base.entries = {
      Dir("etc"),
      File("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n"),
      File("etc/hostname", "base\n"),
      Dir("bin"),
      File("bin/tool", "#!/bin/sh\necho tool\n", 0755),
      File("bin/suid", "setuid\n", 04755),
      File("bin/sgid", "setgid\n", 02755).Owner(0, 50),
      File("bin/suid-user", "setuid, not root\n", 06750).Owner(1000, 1000),
      File("bin/busybox", "one inode, three names\n", 0755),
      Hardlink("bin/busybox", "bin/sh"),
      Hardlink("bin/busybox", "bin/ls"),
      File("bin/ping", "capable\n", 0755).Xattr("security.capability", NetBindCapability()),
      Dir("tmp", 01777),
      Dir("home"),
      Dir("home/user", 0700).Owner(1000, 1000),
      File("home/user/.profile", "export A=1\n", 0600).Owner(1000, 1000),
      File("home/user/old", "kept\n").Owner(1000, 1000),
      File("empty"),
      Dir("data"),
      RandomFile("data/big.bin", 3 << 20),
      Symlink("../bin/tool", "etc/rel-link"),
      Symlink("/etc/passwd", "etc/abs-link"),
      Symlink("/nonexistent/target", "etc/dangling"),
      Symlink("dir-link-target", "dir-link"),
      Dir("run"),
      Fifo("run/fifo").Mode(0620),
      Dir("dev"),
      CharDevice("dev/null", 1, 3).Mode(0666),
      CharDevice("dev/zero", 1, 5).Mode(0666).Owner(0, 5),
      BlockDevice("dev/loop7", 7, 7).Mode(0660),
      File("etc/xattrs", "xattrs\n").Xattr("user.berth.text", "hello").Xattr("user.berth.bin", std::string("\0\xff\x01", 3)),
      Dir("xdir").Xattr("user.berth.dir", "on a directory"),
      // containerd refuses trusted.* from archives (ENOTSUP, ignored) and user.* on symlinks (EPERM, ignored).
      File("etc/trusted", "trusted\n").Xattr("trusted.berth", "not applied").Xattr("user.berth.ok", "yes"),
      Symlink("xattrs", "etc/xattr-link").Xattr("user.berth.link", "not applied"),
      File("mtime/old", "old\n").Mtime(kOldTime),
      Dir("mtime", 0755).Mtime(kOldTime),
      Dir("opq"),
      File("opq/a", "hidden by the opaque dir\n"),
      Dir("opq/sub"),
      File("opq/sub/b", "also hidden\n"),
      Dir("wh"),
      File("wh/gone", "deleted by layer 1\n"),
      Dir("wh/gonedir"),
      File("wh/gonedir/x", "deleted with its dir\n"),
      File("wh/keep", "kept\n"),
  };
  LayerSpec middle{.compression = "zstd"};
  middle.entries = {
      Whiteout("wh/gone"),
      Whiteout("wh/gonedir"),
      Opaque("opq"),
      File("opq/new", "added over the opaque dir\n"),
      File("opq/new2", "deleted by layer 2\n"),
      File("etc/hostname", "layer1\n"),                        // content replaced
      File("bin/tool", "#!/bin/sh\necho tool v2\n", 0700).Owner(1000, 1000),  // owner and mode changed
      File("etc/dangling", "a dangling symlink replaced by a file\n"),
      Dir("newdir", 0750).Owner(2000, 2000),
      File("newdir/f", "owned\n", 0640).Owner(2000, 2001),
      File("newdir/hard-a", "linked in layer 1\n"),
      Hardlink("newdir/hard-a", "newdir/hard-b"),
      Dir("dir-link-target"),
      File("dir-link-target/x", "behind a dir symlink\n"),
  };
  LayerSpec top{.compression = "none"};
  top.entries = {
      Whiteout("opq/new2"),
      Opaque("home/user"),
      File("home/user/fresh", "only file left\n").Owner(1000, 1000),
      Dir("etc", 0750),  // an existing directory's mode changes
      Fifo("run/fifo2"),
      Whiteout("dev/loop7"),
      Whiteout("etc/abs-link"),
      Symlink("/bin/busybox", "bin/cat"),
      File("large-sparse-ish", std::string(256 * 1024, '\0')),
      RandomFile("data/medium.bin", 200 * 1024),
      File("bin/suid", "setuid changed owner\n", 04711).Owner(1000, 0),
  };
  return {base, middle, top};
}

class PullTest : public PeerDaemonTest, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string snapshotter() const { return GetParam(); }
};

TEST_P(PullTest, EveryEntryKindMatchesContainerd) {
  GeneratedImage image;
  std::string ref;
  ASSERT_NO_FATAL_FAILURE(MakeRegistryImage({.name = "docker.io/library/kinds:v1", .seed = 301,
                                             .custom_layers = EveryKindLayers()},
                                            "kinds", &image, &ref));
  Ctr ours = ctr();
  Ctr theirs = peer_ctr();
  ASSERT_NO_FATAL_FAILURE(Pull(ours, ref, snapshotter()));
  ASSERT_NO_FATAL_FAILURE(Pull(theirs, ref, snapshotter()));
  EXPECT_EQ(Unpacked(ours, ref, snapshotter()), "true");

  Tree got, want;
  ASSERT_NO_FATAL_FAILURE(MountedTree(ours, ref, TopChainId(image), snapshotter(), &got));
  ASSERT_NO_FATAL_FAILURE(MountedTree(theirs, ref, TopChainId(image), snapshotter(), &want));
  EXPECT_EQ(DiffTrees(want, got), "") << daemon_.kind_name() << " (actual) vs containerd (expected), snapshotter "
                                      << snapshotter();

  // What containerd does, spelled out, so this test means something when it runs against containerd itself.
  auto entry = [&](const std::string& path) -> TreeEntry {
    const TreeEntry* e = got.Find(path);
    EXPECT_NE(e, nullptr) << path << " missing";
    return e == nullptr ? TreeEntry{} : *e;
  };
  EXPECT_FALSE(got.Has("wh/gone"));
  EXPECT_FALSE(got.Has("wh/gonedir"));
  EXPECT_FALSE(got.Has("wh/.wh.gone"));
  EXPECT_TRUE(got.Has("wh/keep"));
  EXPECT_FALSE(got.Has("opq/a"));
  EXPECT_FALSE(got.Has("opq/sub"));
  EXPECT_FALSE(got.Has("opq/.wh..wh..opq"));
  EXPECT_TRUE(got.Has("opq/new"));
  EXPECT_FALSE(got.Has("opq/new2"));
  EXPECT_FALSE(got.Has("home/user/old"));
  EXPECT_FALSE(got.Has("home/user/.profile"));
  EXPECT_TRUE(got.Has("home/user/fresh"));
  EXPECT_FALSE(got.Has("dev/loop7"));
  EXPECT_FALSE(got.Has("etc/abs-link"));
  EXPECT_EQ(entry("home/user").mode, 0700u);
  EXPECT_EQ(entry("home/user").uid, 1000u);
  EXPECT_EQ(entry("bin/suid").mode, 04711u);
  EXPECT_EQ(entry("bin/suid").uid, 1000u);
  EXPECT_EQ(entry("bin/sgid").mode, 02755u);
  EXPECT_EQ(entry("bin/sgid").gid, 50u);
  EXPECT_EQ(entry("bin/suid-user").mode, 06750u);
  EXPECT_EQ(entry("tmp").mode, 01777u);
  EXPECT_EQ(entry("etc").mode, 0750u);
  EXPECT_EQ(entry("bin/tool").mode, 0700u);
  EXPECT_EQ(entry("bin/tool").uid, 1000u);
  EXPECT_EQ(entry("newdir/f").gid, 2001u);
  EXPECT_EQ(entry("bin/sh").link_group, "bin/busybox");
  EXPECT_EQ(entry("bin/ls").link_group, "bin/busybox");
  EXPECT_EQ(entry("bin/busybox").nlink, 3u);
  EXPECT_EQ(entry("newdir/hard-b").link_group, "newdir/hard-a");
  EXPECT_EQ(entry("etc/rel-link").target, "../bin/tool");
  EXPECT_EQ(entry("etc/dangling").type, "file");
  EXPECT_EQ(entry("bin/cat").target, "/bin/busybox");
  EXPECT_EQ(entry("dir-link").type, "symlink");
  EXPECT_EQ(entry("run/fifo").type, "fifo");
  EXPECT_EQ(entry("run/fifo").mode, 0620u);
  EXPECT_EQ(entry("run/fifo2").type, "fifo");
  EXPECT_EQ(entry("dev/null").type, "char");
  EXPECT_EQ(entry("dev/null").major, 1);
  EXPECT_EQ(entry("dev/null").minor, 3);
  EXPECT_EQ(entry("dev/null").mode, 0666u);
  EXPECT_EQ(entry("dev/zero").gid, 5u);
  EXPECT_EQ(entry("empty").size, 0u);
  EXPECT_EQ(entry("data/big.bin").size, 3u << 20);
  EXPECT_EQ(entry("mtime/old").mtime_ns, kOldTime * 1000000000);
  // Directory mtimes are compared only where no later entry touches the directory (DiffTrees skips them:
  // implicitly created parents and directories changed by later layers get the time of the unpack). The native
  // snapshotter copies the parent on Prepare and does not keep directory mtimes at all.
  if (snapshotter() == "overlayfs") {
    EXPECT_EQ(entry("mtime").mtime_ns, kOldTime * 1000000000);
  }
  EXPECT_EQ(entry("xdir").mtime_ns, want.Find("xdir") ? want.Find("xdir")->mtime_ns : -1);
  EXPECT_EQ(entry("etc/xattrs").xattrs.at("user.berth.text"), "68656c6c6f");
  EXPECT_EQ(entry("etc/xattrs").xattrs.at("user.berth.bin"), "00ff01");
  EXPECT_EQ(entry("xdir").xattrs.count("user.berth.dir"), 1u);
  EXPECT_EQ(entry("bin/ping").xattrs.count("security.capability"), 1u);
  EXPECT_EQ(entry("etc/trusted").xattrs.count("trusted.berth"), 0u) << "trusted.* must not be applied";
  EXPECT_EQ(entry("etc/trusted").xattrs.count("user.berth.ok"), 1u);
  EXPECT_TRUE(entry("etc/xattr-link").xattrs.empty());
}

TEST_P(PullTest, UnpackedImageSurvivesRestart) {
  GeneratedImage image;
  std::string ref;
  ASSERT_NO_FATAL_FAILURE(MakeRegistryImage({.name = "docker.io/library/restart:v1", .seed = 302,
                                             .custom_layers = EveryKindLayers()},
                                            "restart", &image, &ref));
  Ctr ours = ctr();
  ASSERT_NO_FATAL_FAILURE(Pull(ours, ref, snapshotter()));
  Tree before, after;
  ASSERT_NO_FATAL_FAILURE(MountedTree(ours, ref, TopChainId(image), snapshotter(), &before));

  ASSERT_TRUE(daemon_.Restart());
  EXPECT_EQ(Unpacked(ours, ref, snapshotter()), "true");
  ASSERT_NO_FATAL_FAILURE(MountedTree(ours, ref, TopChainId(image), snapshotter(), &after));
  // (native mounts a fresh copy each time, with new directory mtimes; overlayfs mounts the same layers.)
  EXPECT_EQ(DiffTrees(before, after, {.dir_mtimes = snapshotter() == "overlayfs"}), "")
      << "the tree changed across the restart";

  // The committed chain is listed with the same keys and parents.
  auto ls = ours.Run({"snapshots", "--snapshotter", snapshotter(), "ls"});
  ASSERT_CTR_OK(ls);
  EXPECT_THAT(ls.out, HasSubstr(TopChainId(image)));
  // A second pull finds every layer unpacked.
  ASSERT_NO_FATAL_FAILURE(Pull(ours, ref, snapshotter()));
}

// `images rm` deletes the image; GC (asynchronous on containerd) then removes its snapshots and blobs on both
// daemons alike.
TEST_P(PullTest, ImageRemoveReleasesSnapshotsAndContent) {
  GeneratedImage image;
  std::string ref;
  ASSERT_NO_FATAL_FAILURE(MakeRegistryImage({.name = "docker.io/library/rm:v1", .seed = 303, .layers = 3,
                                             .files = 2, .layer_size = 16 * 1024},
                                            "rm", &image, &ref));
  for (const Ctr& c : {ctr(), peer_ctr()}) {
    SCOPED_TRACE(c.socket());
    ASSERT_NO_FATAL_FAILURE(Pull(c, ref, snapshotter()));
    auto ls = c.Run({"snapshots", "--snapshotter", snapshotter(), "ls"});
    ASSERT_CTR_OK(ls);
    EXPECT_EQ(Lines(ls.out).size(), 1 + image.layers.size()) << ls.out;
    auto rm = c.Run({"images", "rm", ref});
    ASSERT_CTR_OK(rm);
    EXPECT_THAT(c.ImageNames(), IsEmpty());
    bool collected = WaitFor(
        [&] {
          auto now = c.Run({"snapshots", "--snapshotter", snapshotter(), "ls"});
          return now.ok() && Lines(now.out).size() == 1 && c.ContentDigests().empty();
        },
        std::chrono::seconds(20), std::chrono::milliseconds(200));
    EXPECT_TRUE(collected) << "snapshots/content not collected after `images rm`:\n"
                           << c.Run({"snapshots", "--snapshotter", snapshotter(), "ls"}).out
                           << c.Run({"content", "ls"}).out;
  }
}

// `ctr content ls` as digest -> LABELS column, its labels sorted (ctr prints them in Go's random map order).
std::map<std::string, std::string> ContentLabels(const Ctr& c) {
  std::map<std::string, std::string> out;
  auto ls = c.Run({"content", "ls"});
  EXPECT_CTR_OK(ls);
  for (const std::string& line : Lines(ls.out)) {
    if (!line.starts_with("sha256:")) continue;
    size_t last_space = line.find_last_of(" \t");
    std::vector<std::string> labels;
    std::stringstream column(line.substr(last_space + 1));
    for (std::string label; std::getline(column, label, ',');) labels.push_back(label);
    std::sort(labels.begin(), labels.end());
    std::string sorted;
    for (const auto& l : labels) sorted += l + ",";
    out[line.substr(0, line.find_first_of(" \t"))] = sorted;
  }
  return out;
}

// `berth pull` (server-side: berthd fetches and unpacks, layers in parallel) gives the same root filesystem, the
// same snapshot chain and the same content labels as `ctr images pull` on a real containerd.
TEST_P(PullTest, BerthPullGivesWhatCtrPullGivesOnContainerd) {
  if (daemon_.kind() != DaemonKind::kBerthd) GTEST_SKIP() << "berth pull is berthd's own service";
  GeneratedImage image;
  std::string ref;
  ASSERT_NO_FATAL_FAILURE(MakeRegistryImage({.name = "docker.io/library/server-pull:v1", .seed = 304,
                                             .custom_layers = EveryKindLayers()},
                                            "server-pull", &image, &ref));
  RunResult pulled = Berth({"pull", "--plain-http", "--snapshotter", snapshotter(), ref});
  ASSERT_TRUE(pulled.ok()) << pulled.Describe();
  EXPECT_THAT(pulled.out, HasSubstr(ref + ": " + image.manifest));
  Ctr ours = ctr();
  Ctr theirs = peer_ctr();
  ASSERT_NO_FATAL_FAILURE(Pull(theirs, ref, snapshotter()));
  EXPECT_EQ(Unpacked(ours, ref, snapshotter()), "true");

  Tree got, want;
  ASSERT_NO_FATAL_FAILURE(MountedTree(ours, ref, TopChainId(image), snapshotter(), &got));
  ASSERT_NO_FATAL_FAILURE(MountedTree(theirs, ref, TopChainId(image), snapshotter(), &want));
  EXPECT_EQ(DiffTrees(want, got), "") << "berth pull (actual) vs ctr pull on containerd (expected), snapshotter "
                                      << snapshotter();
  auto chain = [&](const Ctr& c) {
    auto r = c.Run({"snapshots", "--snapshotter", snapshotter(), "ls"});
    EXPECT_CTR_OK(r);
    return r.out;
  };
  EXPECT_EQ(chain(ours), chain(theirs));
  auto info = [&](const Ctr& c) {
    auto r = c.Run({"snapshots", "--snapshotter", snapshotter(), "info", TopChainId(image)});
    EXPECT_CTR_OK(r);
    return r.out.substr(0, r.out.find("\"Created\""));  // the times differ
  };
  EXPECT_EQ(info(ours), info(theirs));
  std::map<std::string, std::string> our_labels = ContentLabels(ours), their_labels = ContentLabels(theirs);
  for (const std::string& digest : image.BlobDigests()) {
    EXPECT_EQ(our_labels[digest], their_labels[digest]) << digest;
  }
  EXPECT_EQ(our_labels.size(), their_labels.size());
}

INSTANTIATE_TEST_SUITE_P(Snapshotters, PullTest, ::testing::Values("overlayfs", "native"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace berth::testing
