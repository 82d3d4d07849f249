#include "metadata/container_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "metadata/test_util.h"

namespace berth::metadata {
namespace {

using ::testing::HasSubstr;

containers::Container MakeContainer(std::string id) {
  containers::Container c;
  c.id = std::move(id);
  c.runtime.name = "io.containerd.berth.v1";
  c.runtime.options = containers::Any{"containerd.runc.v1.Options", std::string("\x08\x01\x00\xff", 4)};
  c.spec = containers::Any{"types.containerd.io/opencontainers/runtime-spec/1/Spec", R"({"ociVersion":"1.0.2"})"};
  c.snapshotter = "overlayfs";
  c.snapshot_key = c.id;
  c.image = "docker.io/library/bbox:v1";
  c.labels = {{"a", "1"}};
  c.extensions["ext"] = containers::Any{"x.y", "bytes"};
  return c;
}

class ContainerStoreTest : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    store_ = std::make_unique<ContainerStore>(db_.get());
  }
  std::unique_ptr<ContainerStore> store_;
  Context ctx_ = Ns("ns1");
};

TEST_F(ContainerStoreTest, CreateGetKeepsEveryFieldVerbatim) {
  auto created = store_->Create(ctx_, MakeContainer("c1"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_GT(created->created_at, absl::UnixEpoch());
  Reopen();  // from disk
  store_ = std::make_unique<ContainerStore>(db_.get());
  auto got = store_->Get(ctx_, "c1");
  ASSERT_TRUE(got.ok()) << got.status();
  containers::Container want = MakeContainer("c1");
  EXPECT_EQ(got->runtime.options, want.runtime.options);  // binary bytes survive
  EXPECT_EQ(got->spec, want.spec);
  EXPECT_EQ(got->extensions, want.extensions);
  EXPECT_EQ(got->labels, want.labels);
  EXPECT_EQ(got->snapshot_key, "c1");
  EXPECT_EQ(got->created_at, created->created_at);
  EXPECT_THAT(store_->Get(Ns("ns2"), "c1").status().message(), HasSubstr("in namespace \"ns2\": not found"));
}

TEST_F(ContainerStoreTest, ValidationAndErrorCodesAreContainerds) {
  ASSERT_TRUE(store_->Create(ctx_, MakeContainer("c1")).ok());
  EXPECT_TRUE(absl::IsAlreadyExists(store_->Create(ctx_, MakeContainer("c1")).status()));
  auto no_runtime = MakeContainer("c2");
  no_runtime.runtime.name = "";
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Create(ctx_, no_runtime).status()));
  auto no_spec = MakeContainer("c3");
  no_spec.spec.reset();
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Create(ctx_, no_spec).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Create(ctx_, MakeContainer("bad/id")).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->Delete(ctx_, "nope")));
}

TEST_F(ContainerStoreTest, UpdateByFieldPathsAndImmutableFields) {
  ASSERT_TRUE(store_->Create(ctx_, MakeContainer("c1")).ok());
  auto change = MakeContainer("c1");
  change.labels = {{"b", "2"}, {"a", ""}};
  auto updated = store_->Update(ctx_, change, {"labels.a", "labels.b"});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->labels, (Labels{{"b", "2"}}));
  change.snapshotter = "native";
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Update(ctx_, change, {}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->Update(ctx_, MakeContainer("c1"), {"runtime"}).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->Update(ctx_, MakeContainer("zz"), {}).status()));
}

TEST_F(ContainerStoreTest, ListFiltersAndGcRoots) {
  ASSERT_TRUE(store_->Create(ctx_, MakeContainer("c1")).ok());
  auto other = MakeContainer("c2");
  other.labels = {{"containerd.io/gc.ref.content.x", "sha256:" + std::string(64, 'a')}};
  ASSERT_TRUE(store_->Create(ctx_, other).ok());
  auto list = store_->List(ctx_, {"labels.a==1"});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().id, "c1");

  std::vector<gc::Node> roots;
  ASSERT_TRUE(db_->View([&](const Txn& txn) {
                   return ContainerRoots(txn, [&](gc::Node n) { roots.push_back(n); });
                 }).ok());
  EXPECT_THAT(roots, ::testing::Contains(gc::Node{gc::ResourceType::kSnapshot, "ns1", "overlayfs/c1"}));
  EXPECT_THAT(roots, ::testing::Contains(gc::Node{gc::ResourceType::kSnapshot, "ns1", "overlayfs/c2"}));
  EXPECT_THAT(roots,
              ::testing::Contains(gc::Node{gc::ResourceType::kContent, "ns1", "sha256:" + std::string(64, 'a')}));
}

}  // namespace
}  // namespace berth::metadata
