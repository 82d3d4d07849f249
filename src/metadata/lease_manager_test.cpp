#include "metadata/lease_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "digest/digest.h"
#include "metadata/test_util.h"

namespace berth::metadata {
namespace {

using ::testing::ElementsAre;
using ::testing::MatchesRegex;

std::vector<std::string> Ids(const absl::StatusOr<std::vector<leases::Lease>>& list) {
  EXPECT_TRUE(list.ok()) << list.status();
  std::vector<std::string> out;
  if (list.ok()) {
    for (const auto& l : *list) out.push_back(l.id);
  }
  return out;
}

class LeaseManagerTest : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    leases_ = std::make_unique<LeaseManager>(db_.get());
  }
  absl::StatusOr<leases::Lease> Create(std::string ns, std::string id, Labels labels = {}) {
    return leases_->Create(Ns(ns), {.id = id, .created_at = {}, .labels = labels});
  }
  std::unique_ptr<LeaseManager> leases_;
};

TEST_F(LeaseManagerTest, CreateListDelete) {
  auto l = Create("n", "l1", {{"containerd.io/gc.expire", "2030-01-01T00:00:00Z"}});
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_NE(l->created_at, absl::Time());
  ASSERT_TRUE(Create("n", "l2").ok());
  EXPECT_EQ(Create("n", "l1").status().code(), absl::StatusCode::kAlreadyExists);
  auto listed = leases_->List(Ns("n"), {});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].labels.at("containerd.io/gc.expire"), "2030-01-01T00:00:00Z");
  EXPECT_EQ((*listed)[0].created_at, l->created_at);

  ASSERT_TRUE(leases_->Delete(Ns("n"), "l1").ok());
  absl::Status again = leases_->Delete(Ns("n"), "l1");
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(again.message()), "lease \"l1\": not found");
  EXPECT_THAT(Ids(leases_->List(Ns("n"), {})), ElementsAre("l2"));
}

TEST_F(LeaseManagerTest, GeneratesAnIdLikeCtr) {
  auto a = Create("n", "");
  auto b = Create("n", "");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_THAT(a->id, MatchesRegex("[0-9]+-[A-Za-z0-9_-]{4}"));
  EXPECT_NE(a->id, b->id);
}

TEST_F(LeaseManagerTest, ListFiltersByIdAndLabels) {
  ASSERT_TRUE(Create("n", "pull-1", {{"purpose", "pull"}}).ok());
  ASSERT_TRUE(Create("n", "pull-2", {{"purpose", "pull"}}).ok());
  ASSERT_TRUE(Create("n", "build", {{"purpose", "build"}}).ok());
  EXPECT_THAT(Ids(leases_->List(Ns("n"), {"id==build"})), ElementsAre("build"));
  EXPECT_THAT(Ids(leases_->List(Ns("n"), {"labels.purpose==pull"})), ElementsAre("pull-1", "pull-2"));
  EXPECT_THAT(Ids(leases_->List(Ns("n"), {"id~=^pull,labels.purpose!=pull"})), ElementsAre());
}

TEST_F(LeaseManagerTest, NamespacesAreIsolated) {
  ASSERT_TRUE(Create("a", "same").ok());
  ASSERT_TRUE(Create("b", "same").ok());  // the same id in another namespace is another lease
  ASSERT_TRUE(leases_->AddResource(Ns("a"), "same", {.id = "k1", .type = "snapshots/overlayfs"}).ok());
  EXPECT_THAT(leases_->ListResources(Ns("b"), "same").value(), ElementsAre());
  EXPECT_EQ(leases_->Delete(Ns("c"), "same").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(leases_->AddResource(Ns("c"), "same", {.id = "k", .type = "ingests"}).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(LeaseManagerTest, ResourcesAreListedByTypeAndRemovedWithTheLease) {
  ASSERT_TRUE(Create("n", "l").ok());
  std::string dgst = Digest::Of("blob").str();
  for (const leases::Resource& r : {leases::Resource{.id = "key", .type = "snapshots/overlayfs"},
                                    leases::Resource{.id = "ref-1", .type = "ingests"},
                                    leases::Resource{.id = dgst, .type = "content"}}) {
    ASSERT_TRUE(leases_->AddResource(Ns("n"), "l", r).ok());
  }
  EXPECT_THAT(leases_->ListResources(Ns("n"), "l").value(),
              ElementsAre(leases::Resource{.id = dgst, .type = "content"},
                          leases::Resource{.id = "ref-1", .type = "ingests"},
                          leases::Resource{.id = "key", .type = "snapshots/overlayfs"}));
  ASSERT_TRUE(leases_->DeleteResource(Ns("n"), "l", {.id = "ref-1", .type = "ingests"}).ok());
  ASSERT_TRUE(leases_->DeleteResource(Ns("n"), "l", {.id = "never-added", .type = "ingests"}).ok());
  EXPECT_EQ(leases_->ListResources(Ns("n"), "l")->size(), 2u);

  absl::Status deleted = leases_->Delete(Ns("n"), "l");
  ASSERT_TRUE(deleted.ok()) << deleted;
  ASSERT_TRUE(Create("n", "l").ok());
  EXPECT_THAT(leases_->ListResources(Ns("n"), "l").value(), ElementsAre()) << "a recreated lease starts empty";
}

TEST_F(LeaseManagerTest, ResourceTypesAreCheckedAsContainerd) {
  ASSERT_TRUE(Create("n", "l").ok());
  auto add = [&](std::string id, std::string type) { return leases_->AddResource(Ns("n"), "l", {id, type}).code(); };
  EXPECT_EQ(add("not-a-digest", "content"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(add("x", "content/extra"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(add("x", "snapshots"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(add("x", "containers"), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(leases_->AddResource(Ns("n"), "missing", {"x", "ingests"}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(leases_->ListResources(Ns("n"), "missing").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(LeaseManagerTest, PersistsAcrossReopen) {
  ASSERT_TRUE(Create("n", "l", {{"k", "v"}}).ok());
  ASSERT_TRUE(leases_->AddResource(Ns("n"), "l", {.id = "r", .type = "ingests"}).ok());
  leases_.reset();
  Reopen();
  leases_ = std::make_unique<LeaseManager>(db_.get());
  auto list = leases_->List(Ns("n"), {});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].labels, (Labels{{"k", "v"}}));
  EXPECT_EQ(leases_->ListResources(Ns("n"), "l")->size(), 1u);
}

}  // namespace
}  // namespace berth::metadata
