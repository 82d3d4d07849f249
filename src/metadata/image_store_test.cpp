#include "metadata/image_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "metadata/test_util.h"

namespace berth::metadata {
namespace {

using ::testing::ElementsAre;

constexpr const char* kIndex = "application/vnd.oci.image.index.v1+json";
constexpr const char* kManifest = "application/vnd.oci.image.manifest.v1+json";

images::Image Image(std::string name, std::string blob = "x", std::string media_type = kIndex,
                    Labels labels = {}) {
  return {.name = name,
          .labels = labels,
          .target = {.media_type = media_type, .digest = Digest::Of(blob), .size = 42, .annotations = {}},
          .created_at = {},
          .updated_at = {}};
}

std::vector<std::string> Names(const absl::StatusOr<std::vector<images::Image>>& list) {
  EXPECT_TRUE(list.ok()) << list.status();
  std::vector<std::string> out;
  if (list.ok()) {
    for (const auto& i : *list) out.push_back(i.name);
  }
  return out;
}

class ImageStoreTest : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    store_ = std::make_unique<ImageStore>(db_.get());
  }
  std::unique_ptr<ImageStore> store_;
};

TEST_F(ImageStoreTest, CreateStampsTimesAndGetReturnsTheRecord) {
  absl::Time before = absl::Now();
  auto created = store_->Create(Ns("default"), Image("docker.io/library/busybox:latest", "b", kIndex, {{"a", "1"}}));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_GE(created->created_at, before);
  EXPECT_EQ(created->created_at, created->updated_at);
  auto got = store_->Get(Ns("default"), "docker.io/library/busybox:latest");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->target, created->target);
  EXPECT_EQ(got->labels, (Labels{{"a", "1"}}));
  EXPECT_EQ(got->created_at, created->created_at);
}

TEST_F(ImageStoreTest, CreateErrorsAsContainerd) {
  ASSERT_TRUE(store_->Create(Ns("default"), Image("img")).ok());
  absl::StatusOr<images::Image> dup = store_->Create(Ns("default"), Image("img"));
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(std::string(dup.status().message()), "image \"img\": already exists");

  EXPECT_EQ(store_->Create(Ns("default"), Image("")).status().code(), absl::StatusCode::kInvalidArgument);
  images::Image no_digest = Image("nd");
  no_digest.target.digest = Digest();
  EXPECT_EQ(store_->Create(Ns("default"), no_digest).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Create(Ns("default"), Image("nm", "x", "")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Create(Context{}, Image("nons")).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ImageStoreTest, NamespacesAreIsolated) {
  ASSERT_TRUE(store_->Create(Ns("a"), Image("img", "in-a")).ok());
  ASSERT_TRUE(store_->Create(Ns("b"), Image("img", "in-b")).ok());
  EXPECT_EQ(store_->Get(Ns("a"), "img")->target.digest, Digest::Of("in-a"));
  EXPECT_EQ(store_->Get(Ns("b"), "img")->target.digest, Digest::Of("in-b"));
  absl::StatusOr<images::Image> missing = store_->Get(Ns("c"), "img");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(missing.status().message()), "image \"img\": not found");
  ASSERT_TRUE(store_->Delete(Ns("a"), "img").ok());
  EXPECT_TRUE(store_->Get(Ns("b"), "img").ok());
  EXPECT_THAT(Names(store_->List(Ns("a"), {})), ElementsAre());
}

TEST_F(ImageStoreTest, ListFiltersOverNameTargetAndLabels) {
  ASSERT_TRUE(store_->Create(Ns("n"), Image("docker.io/library/alpine:3", "a", kIndex, {{"env", "prod"}})).ok());
  ASSERT_TRUE(store_->Create(Ns("n"), Image("docker.io/library/busybox:1", "b", kManifest)).ok());
  ASSERT_TRUE(store_->Create(Ns("n"), Image("ghcr.io/x/y:z", "c", kIndex, {{"env", "dev"}})).ok());

  EXPECT_THAT(Names(store_->List(Ns("n"), {})),
              ElementsAre("docker.io/library/alpine:3", "docker.io/library/busybox:1", "ghcr.io/x/y:z"));
  EXPECT_THAT(Names(store_->List(Ns("n"), {"name~=^docker.io/"})),
              ElementsAre("docker.io/library/alpine:3", "docker.io/library/busybox:1"));
  EXPECT_THAT(Names(store_->List(Ns("n"), {"name==ghcr.io/x/y:z"})), ElementsAre("ghcr.io/x/y:z"));
  EXPECT_THAT(Names(store_->List(Ns("n"), {"target.digest==" + Digest::Of("b").str()})),
              ElementsAre("docker.io/library/busybox:1"));
  EXPECT_THAT(Names(store_->List(Ns("n"), {std::string("target.mediatype==") + kIndex + ",labels.env==dev"})),
              ElementsAre("ghcr.io/x/y:z"));
  EXPECT_THAT(Names(store_->List(Ns("n"), {"labels.env==prod", "labels.env==dev"})),
              ElementsAre("docker.io/library/alpine:3", "ghcr.io/x/y:z"));
  EXPECT_EQ(store_->List(Ns("n"), {"name=="}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ImageStoreTest, UpdateWithoutPathsReplacesLabelsAndTargetButKeepsCreatedAt) {
  auto created = store_->Create(Ns("n"), Image("img", "old", kIndex, {{"a", "1"}}));
  ASSERT_TRUE(created.ok());
  auto updated = store_->Update(Ns("n"), Image("img", "new", kManifest, {{"b", "2"}}), {});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->target.digest, Digest::Of("new"));
  EXPECT_EQ(updated->labels, (Labels{{"b", "2"}}));
  EXPECT_EQ(updated->created_at, created->created_at);
  EXPECT_GE(updated->updated_at, created->updated_at);
  EXPECT_EQ(store_->Get(Ns("n"), "img")->target.media_type, kManifest);
}

TEST_F(ImageStoreTest, UpdateMasksTouchOnlyTheirFields) {
  images::Image base = Image("img", "old", kIndex, {{"a", "1"}, {"b", "2"}});
  base.target.annotations = {{"x", "1"}};
  ASSERT_TRUE(store_->Create(Ns("n"), base).ok());

  images::Image req = Image("img", "new", kManifest, {{"a", "9"}, {"c", "3"}});
  req.target.annotations = {{"y", "2"}};
  auto u = store_->Update(Ns("n"), req, {"labels.a", "labels.b", "annotations.y"});
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->labels, (Labels{{"a", "9"}}));  // a set, b deleted, c untouched (not in the mask)
  EXPECT_EQ(u->target.digest, Digest::Of("old"));
  EXPECT_EQ(u->target.annotations, (Labels{{"x", "1"}, {"y", "2"}}));

  u = store_->Update(Ns("n"), req, {"target"});
  EXPECT_EQ(u->target, req.target);
  EXPECT_EQ(u->labels, (Labels{{"a", "9"}}));

  u = store_->Update(Ns("n"), Image("img", "z", kIndex, {{"only", "this"}}), {"labels"});
  EXPECT_EQ(u->labels, (Labels{{"only", "this"}}));

  EXPECT_EQ(store_->Update(Ns("n"), req, {"name"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Update(Ns("n"), Image("missing"), {}).status().code(), absl::StatusCode::kNotFound);
  images::Image bad = Image("img");
  bad.target.media_type.clear();
  EXPECT_EQ(store_->Update(Ns("n"), bad, {"target"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Get(Ns("n"), "img")->labels, (Labels{{"only", "this"}})) << "failed update must not write";
}

TEST_F(ImageStoreTest, LongNamesWork) {
  std::string long_name = "registry.example.com/" + std::string(600, 'n') + ":tag";
  ASSERT_TRUE(store_->Create(Ns("n"), Image(long_name)).ok());
  ASSERT_TRUE(store_->Create(Ns("n"), Image(long_name + "2")).ok());
  EXPECT_EQ(store_->Get(Ns("n"), long_name)->name, long_name);
  EXPECT_THAT(Names(store_->List(Ns("n"), {})), ElementsAre(long_name, long_name + "2"));
  EXPECT_TRUE(store_->Delete(Ns("n"), long_name).ok());
}

TEST_F(ImageStoreTest, DeleteIsNotFoundTheSecondTime) {
  ASSERT_TRUE(store_->Create(Ns("n"), Image("img")).ok());
  EXPECT_TRUE(store_->Delete(Ns("n"), "img").ok());
  absl::Status again = store_->Delete(Ns("n"), "img");
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(again.message()), "image \"img\": not found");
}

TEST_F(ImageStoreTest, PersistsAcrossReopen) {
  images::Image img = Image("img", "p", kIndex, {{"k", "v"}});
  img.target.annotations = {{"an", "v"}};
  auto created = store_->Create(Ns("n"), img);
  ASSERT_TRUE(created.ok());
  store_.reset();
  Reopen();
  store_ = std::make_unique<ImageStore>(db_.get());
  auto got = store_->Get(Ns("n"), "img");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->target, img.target);
  EXPECT_EQ(got->labels, img.labels);
  EXPECT_EQ(got->created_at, created->created_at);
}

}  // namespace
}  // namespace berth::metadata
