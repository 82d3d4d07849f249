// Issue 3 acceptance: `ctr snapshots ls/tree/usage/rm/prepare/view/commit/mounts/info/label` behave as on
// containerd, with the overlayfs and the native snapshotter. One script of ctr commands (successes and the usual
// errors: duplicate keys, missing parents, removing a parent with children) runs on the daemon under test and on
// a real containerd; the transcripts (exit codes, outputs with paths, ids and times normalised, the error class
// of failures) must be identical. Mounts that ctr prints are mounted for real, written through and read back.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <sstream>

#include "tests/util/fixture.h"
#include "tests/util/mounts.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

// The gRPC status text ctr ends an error with ("not found", "already exists", "failed precondition", ...).
std::string ErrorClass(const std::string& err) {
  static const char* kClasses[] = {"not found",          "already exists",    "failed precondition",
                                   "invalid argument",   "unavailable",       "unknown",
                                   "permission denied",  "unimplemented",     "internal",
                                   "aborted",            "out of range",      "deadline exceeded",
                                   "resource exhausted", "cancelled",         "data loss"};
  auto lines = Lines(err);
  std::string last = lines.empty() ? "" : lines.back();
  for (const char* c : kClasses) {
    std::string suffix = std::string(": ") + c;
    if (last.size() >= suffix.size() && last.compare(last.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return c;
    }
  }
  return "unclassified error: " + last;
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

std::string SortedCommaList(const std::string& text) {
  auto lines = Lines(text);
  if (lines.empty()) return text;
  std::vector<std::string> items;
  std::string item;
  for (std::istringstream in(lines[0]); std::getline(in, item, ',');) items.push_back(item);
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out + "\n";
}

class SnapshotsTest : public PeerDaemonTest, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string snapshotter() const { return GetParam(); }

  void SetUp() override {
    PeerDaemonTest::SetUp();
    if (HasFatalFailure()) return;
    ImageSpec spec{.name = "docker.io/library/snap:v1", .seed = 500};
    spec.custom_layers = {
        {.compression = "gzip",
         .entries = {Dir("etc"), File("etc/motd", "base\n"), RandomFile("data.bin", 100 * 1024)}},
        {.compression = "zstd", .entries = {File("etc/motd", "top\n"), Whiteout("data.bin"), Fifo("fifo")}}};
    ASSERT_TRUE(GenerateImage(spec, scratch_.Join("image"), &image_));
    chain1_ = image_.diff_ids.at(0);
    chain2_ = TopChainId(image_);
  }

  // Runs the script on one daemon; returns the normalised transcript.
  std::string Script(const Ctr& c, const Daemon& d, const std::string& label) {
    std::string transcript;
    const std::string s = snapshotter();
    std::string mnt = scratch_.Join("mnt-" + label);
    std::filesystem::create_directories(mnt);
    auto normalise = [&](std::string text) {
      text = ReplaceAll(text, d.dir(), "<daemon>");
      text = ReplaceAll(text, mnt, "<mnt>");
      text = std::regex_replace(text, std::regex(R"(/snapshots/[0-9]+/)"), "/snapshots/<id>/");
      text = std::regex_replace(text, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d))"),
                                "<time>");
      return text;
    };
    auto run = [&](std::vector<std::string> args) {
      std::vector<std::string> full = {"snapshots", "--snapshotter", s};
      full.insert(full.end(), args.begin(), args.end());
      auto r = c.Run(full);
      std::string line = "$";
      for (const auto& a : args) line += " " + a;
      transcript += normalise(line) + "\n";
      std::string out = r.out;
      if (args[0] == "label") out = SortedCommaList(out);  // ctr prints a Go map: random order
      transcript += r.ok() ? normalise(out) : "-> " + ErrorClass(r.err) + "\n";
      return r;
    };

    RunOptions options;
    options.timeout = std::chrono::minutes(2);
    auto imported = c.Run({"images", "import", "--snapshotter", s, image_.archive}, options);
    EXPECT_CTR_OK(imported);

    run({"ls"});
    run({"tree"});
    run({"info", chain1_});
    run({"info", chain2_});
    run({"usage"});
    run({"usage", chain1_});
    run({"prepare", "active1", chain2_});
    run({"prepare", "active1", chain2_});      // already exists
    run({"prepare", "orphan", "sha256:nothere"});  // parent not found
    run({"mounts", mnt, "active1"});
    {
      // Write through the active snapshot's mounts.
      SnapshotMount m;
      EXPECT_TRUE(SnapshotMount::Mount(c, s, "active1", mnt, &m));
      EXPECT_EQ(ReadFileOrDie(mnt + "/etc/motd"), "top\n");
      EXPECT_FALSE(std::filesystem::exists(mnt + "/data.bin"));
      std::filesystem::create_directories(mnt + "/new");
      WriteFileOrDie(mnt + "/new/file", std::string(10000, 'x'));
      std::filesystem::remove(mnt + "/etc/motd");
      EXPECT_TRUE(m.Unmount());
    }
    run({"usage", "active1"});
    run({"info", "active1"});
    run({"commit", "committed1", "active1"});
    run({"commit", "committed1", "active1"});  // the active key is gone
    run({"commit", chain2_, "nothere"});
    run({"info", "committed1"});
    run({"view", "view1", "committed1"});
    run({"view", "view1", "committed1"});  // already exists
    run({"info", "view1"});
    run({"mounts", mnt, "view1"});
    {
      SnapshotMount m;
      EXPECT_TRUE(SnapshotMount::Mount(c, s, "view1", mnt, &m));
      EXPECT_EQ(ReadFileOrDie(mnt + "/new/file"), std::string(10000, 'x'));
      EXPECT_FALSE(std::filesystem::exists(mnt + "/etc/motd"));
      EXPECT_TRUE(std::filesystem::exists(mnt + "/etc"));
      EXPECT_NE(access((mnt + "/new").c_str(), W_OK), 0) << "a view is mounted read-only";
      EXPECT_TRUE(m.Unmount());
    }
    run({"label", "committed1", "berth.test/a=1", "berth.test/b=2"});
    run({"info", "committed1"});
    run({"label", "committed1", "berth.test/a="});
    run({"info", "committed1"});
    run({"label", "nothere", "x=y"});
    run({"tree"});
    run({"rm", "committed1"});  // a view still has it as parent
    run({"rm", chain1_});       // parent of the image's top layer
    run({"rm", "view1"});
    run({"rm", "committed1"});
    run({"rm", "nothere"});
    run({"info", "nothere"});
    run({"prepare", "root-active"});
    run({"mounts", mnt, "root-active"});
    run({"view", "view-of-active", "root-active"});  // parent must be committed
    run({"commit", "root-committed", "root-active"});
    run({"prepare", "child", "root-committed"});
    run({"ls"});
    run({"tree"});
    run({"rm", "child", "root-committed"});
    run({"usage"});
    run({"ls"});
    return transcript;
  }

  GeneratedImage image_;
  std::string chain1_, chain2_;
};

TEST_P(SnapshotsTest, CommandsBehaveAsOnContainerd) {
  std::string ours = Script(ctr(), daemon_, "ours");
  std::string theirs = Script(peer_ctr(), peer_, "peer");
  EXPECT_EQ(theirs, ours) << "containerd (left) vs " << daemon_.kind_name() << " (right), snapshotter "
                          << snapshotter();
  // Sanity of the script itself on containerd.
  EXPECT_THAT(theirs, HasSubstr("$ prepare active1 " + chain2_ + "\n-> already exists"));
  EXPECT_THAT(theirs, HasSubstr("$ rm committed1\n-> failed precondition"));
  EXPECT_THAT(theirs, HasSubstr("$ rm nothere\n-> not found"));
}

INSTANTIATE_TEST_SUITE_P(Snapshotters, SnapshotsTest, ::testing::Values("overlayfs", "native"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace berth::testing
