#include "fsck/layer_compare.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "plugins/content/local/local_store.h"
#include "plugins/diff/fs_applier.h"
#include "plugins/diff/test_util.h"

namespace berth::fsck {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

namespace dt = diff::testing;

MATCHER_P2(Diff, path, what, "") { return arg.path == path && arg.what.find(what) != std::string::npos; }

class LayerCompareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = content::LocalStore::Open(tmp_.Sub("content"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    std::string tar = dt::TarBuilder()
                          .Dir("etc/")
                          .File("etc/motd", "hello", {.mode = 0640, .uid = 7, .gid = 8})
                          .File("pause", "#!/bin/sh\n", {.mode = 0755})
                          .Symlink("etc/link", "motd")
                          .Build();
    auto desc = dt::PutBlob(*store_, dt::Gzip(tar), "application/vnd.oci.image.layer.v1.tar+gzip");
    ASSERT_TRUE(desc.ok()) << desc.status();
    layer_ = *desc;
    dir_ = tmp_.Sub("layer");
    std::filesystem::create_directories(dir_);
    diff::FsApplier applier(store_.get());
    auto applied = applier.Apply(Context{}, layer_, {{.type = "bind", .source = dir_, .options = {"rw", "rbind"}}});
    ASSERT_TRUE(applied.ok()) << applied.status();
  }

  std::vector<Difference> Compare(bool layer_only = true) {
    auto d = CompareLayer(*store_, Context{}, layer_, dir_, {.layer_only = layer_only});
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : std::vector<Difference>{};
  }

  dt::TempDir tmp_;
  std::unique_ptr<content::LocalStore> store_;
  oci::Descriptor layer_;
  std::string dir_;
};

TEST_F(LayerCompareTest, FreshlyAppliedLayerHasNoDifferences) { EXPECT_THAT(Compare(), IsEmpty()); }

TEST_F(LayerCompareTest, NamesMissingChangedAndExtraEntries) {
  ASSERT_EQ(::unlink((dir_ + "/pause").c_str()), 0);
  std::ofstream(dir_ + "/etc/motd", std::ios::trunc) << "HELLO";  // same size, other bytes
  ASSERT_EQ(::chmod((dir_ + "/etc/motd").c_str(), 0600), 0);
  ASSERT_EQ(::unlink((dir_ + "/etc/link").c_str()), 0);
  ASSERT_EQ(::symlink("elsewhere", (dir_ + "/etc/link").c_str()), 0);
  std::ofstream(dir_ + "/planted") << "x";
  EXPECT_THAT(Compare(), UnorderedElementsAre(Diff("/pause", "missing"), Diff("/etc/motd", "mode 0600, want 0640"),
                                              Diff("/etc/motd", "content differs"),
                                              Diff("/etc/link", "link target differs"),
                                              Diff("/planted", "extra")));
}

TEST_F(LayerCompareTest, AFullCopyIsNotBlamedForEntriesOfOtherLayers) {
  std::ofstream(dir_ + "/from-parent") << "x";
  EXPECT_THAT(Compare(/*layer_only=*/false), IsEmpty());
  ASSERT_EQ(::lchown((dir_ + "/etc/motd").c_str(), 0, 0), 0);
  EXPECT_THAT(Compare(false), ElementsAre(Diff("/etc/motd", "owner 0:0, want 7:8")));
}

}  // namespace
}  // namespace berth::fsck
