#include "df/holders.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "metadata/container_store.h"
#include "metadata/content_store.h"
#include "metadata/image_store.h"
#include "metadata/test_util.h"
#include "plugins/content/local/local_store.h"

namespace berth::df {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class HoldersTest : public metadata::testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    auto blobs = content::LocalStore::Open((dir_.path() / "content").string());
    ASSERT_TRUE(blobs.ok()) << blobs.status();
    content_ = std::make_unique<metadata::ContentStore>(db_.get(), *std::move(blobs));
  }

  Digest Put(const std::string& data) {
    Digest d = Digest::Of(data);
    auto w = content_->OpenWriter(Ns("ns"), {.ref = "ref-" + data, .total = static_cast<int64_t>(data.size())});
    EXPECT_TRUE(w.ok()) << w.status();
    EXPECT_TRUE((*w)->Write(data).ok());
    EXPECT_TRUE((*w)->Commit({.size = static_cast<int64_t>(data.size()), .expected = d}).ok());
    return d;
  }

  void Image(const std::string& name, const Digest& target) {
    metadata::ImageStore images(db_.get());
    images::Image image;
    image.name = name;
    image.target = {.media_type = "application/vnd.oci.image.manifest.v1+json", .digest = target, .size = 1};
    ASSERT_TRUE(images.Create(Ns("ns"), image).ok());
  }

  void Container(const std::string& id, const Digest& referenced) {
    metadata::ContainerStore containers(db_.get());
    containers::Container c;
    c.id = id;
    c.runtime.name = "io.containerd.berth.v1";
    c.spec = containers::Any{"types.containerd.io/opencontainers/runtime-spec/1/Spec", R"({"ociVersion":"1.0.2"})"};
    c.labels["containerd.io/gc.ref.content.x"] = referenced.str();
    ASSERT_TRUE(containers.Create(Ns("ns"), c).ok());
  }

  std::set<std::string> HoldersOf(const Digest& d) {
    HolderMap holders;
    EXPECT_TRUE(db_->View([&](const metadata::Txn& txn) -> absl::Status {
                     auto h = FindHolders(txn, absl::Now());
                     if (!h.ok()) return h.status();
                     holders = *std::move(h);
                     return absl::OkStatus();
                   })
                    .ok());
    auto it = holders.find(gc::Node{gc::ResourceType::kContent, "ns", d.str()});
    return it == holders.end() ? std::set<std::string>{} : it->second;
  }

  std::unique_ptr<metadata::ContentStore> content_;
};

TEST_F(HoldersTest, EachRootIsNamedAndSharedObjectsListEveryHolder) {
  Digest by_image = Put("manifest"), by_container = Put("layer"), shared = Put("config"), loose = Put("loose");
  Image("registry/app:v1", by_image);
  Image("registry/app:v2", shared);
  Container("c1", by_container);
  Container("c2", shared);
  EXPECT_THAT(HoldersOf(by_image), ElementsAre("image registry/app:v1"));
  EXPECT_THAT(HoldersOf(by_container), ElementsAre("container c1"));
  EXPECT_THAT(HoldersOf(shared), UnorderedElementsAre("image registry/app:v2", "container c2"));
  EXPECT_THAT(HoldersOf(loose), IsEmpty()) << "nothing holds it: gc frees it";
}

}  // namespace
}  // namespace berth::df
