// NativeSnapshotter specifics: on-disk layout, mounts, and that Prepare copies the parent.
#include "plugins/snapshots/native/native_snapshotter.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>

namespace berth::snapshots {
namespace {

TEST(NativeSnapshotterTest, LayoutMountsAndCopies) {
  std::string pattern = "/tmp/berth-native-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path root = std::filesystem::path(pattern) / "root";
  Context ctx;
  {
    auto opened = NativeSnapshotter::Open(root);
    ASSERT_TRUE(opened.ok()) << opened.status();
    auto& sn = **opened;
    auto m = sn.Prepare(ctx, "/any/key", "", {});
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(*m, (std::vector<mount::Mount>{
                      {.type = "bind", .source = (root / "snapshots/1").string(), .options = {"rbind", "rw"}}}));
    struct stat st;
    ASSERT_EQ(::stat((root / "snapshots/1").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    ASSERT_EQ(::stat(root.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    std::ofstream(root / "snapshots/1/data") << "layer one";
    ASSERT_TRUE(sn.Commit(ctx, "base", "/any/key", {}).ok());

    auto v = sn.View(ctx, "view", "base", {});
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, (std::vector<mount::Mount>{
                      {.type = "bind", .source = (root / "snapshots/1").string(), .options = {"rbind", "ro"}}}))
        << "a view of a parent binds the parent read-only";
    EXPECT_FALSE(std::filesystem::exists(root / "snapshots/2"));

    auto a = sn.Prepare(ctx, "child", "base", {});
    ASSERT_TRUE(a.ok());
    std::ifstream in(root / "snapshots/3/data");
    std::string content((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(content, "layer one");
    std::ofstream(root / "snapshots/3/data") << "changed";
    std::ifstream parent(root / "snapshots/1/data");
    std::string parent_content((std::istreambuf_iterator<char>(parent)), {});
    EXPECT_EQ(parent_content, "layer one") << "a child's writes never reach its parent";

    std::filesystem::create_directories(root / "snapshots/new-leftover");
    std::filesystem::create_directories(root / "snapshots/rm-99");
    ASSERT_TRUE(sn.Cleanup(ctx).ok());
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(root / "snapshots")) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"1", "3"}));
  }
  std::filesystem::remove_all(pattern);
}

}  // namespace
}  // namespace berth::snapshots
