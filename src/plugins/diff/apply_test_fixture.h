// Shared fixture for the apply tests: a content store in a temp dir, an FsApplier over it, and a sentinel
// directory beside the apply root whose listing must never change.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <memory>
#include <string>

#include "core/content/testsuite/suite_util.h"
#include "plugins/content/local/local_store.h"
#include "plugins/diff/fs_applier.h"
#include "plugins/diff/test_util.h"

namespace berth::diff::testing {

inline struct stat Lstat(const std::string& p) {
  struct stat st {};
  EXPECT_EQ(lstat(p.c_str(), &st), 0) << p;
  return st;
}

class ApplyFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = content::LocalStore::Open(tmp_.Sub("content"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    applier_ = std::make_unique<FsApplier>(store_.get(), FsApplierOptions{.temp_mount_dir = tmp_.path()});
    MakeTree(tmp_.Sub("sentinel"), {{"secret", "keep me"}, {"etc/passwd", "root:x:0:0"}, {"empty/", ""}});
    std::filesystem::create_directories(root());
    sentinel_before_ = ListTree(tmp_.Sub("sentinel"), true);
  }

  void TearDown() override {
    EXPECT_EQ(ListTree(tmp_.Sub("sentinel"), true), sentinel_before_) << "something outside the root changed";
  }

  std::string root() const { return tmp_.Sub("root"); }

  absl::StatusOr<oci::Descriptor> ApplyBlob(const std::string& blob, const std::string& media_type,
                                            std::vector<mount::Mount> mounts = {}) {
    auto desc = PutBlob(*store_, blob, media_type);
    if (!desc.ok()) return desc.status();
    if (mounts.empty()) mounts = {{.type = "bind", .source = root(), .options = {"rw", "rbind"}}};
    return applier_->Apply(Context{.ns = "test"}, *desc, mounts);
  }

  absl::StatusOr<oci::Descriptor> ApplyTarToRoot(const std::string& tar) {
    return ApplyBlob(tar, "application/vnd.oci.image.layer.v1.tar");
  }

  TempDir tmp_;
  std::unique_ptr<content::LocalStore> store_;
  std::unique_ptr<FsApplier> applier_;
  std::map<std::string, std::string> sentinel_before_;
};

}  // namespace berth::diff::testing
