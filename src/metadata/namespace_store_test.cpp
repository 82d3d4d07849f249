#include "metadata/namespace_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "metadata/image_store.h"
#include "metadata/lease_manager.h"
#include "metadata/test_util.h"

namespace berth::metadata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class NamespaceStoreTest : public testing::DbTest {
 protected:
  NamespaceStore store() { return NamespaceStore(db_.get()); }
  static images::Image Image(std::string name) {
    return {.name = name,
            .labels = {},
            .target = {.media_type = "application/vnd.oci.image.index.v1+json",
                       .digest = Digest::Of("x"),
                       .size = 1,
                       .annotations = {}},
            .created_at = {},
            .updated_at = {}};
  }
};

TEST_F(NamespaceStoreTest, CreateGetListWithLabels) {
  auto s = store();
  ASSERT_TRUE(s.Create({.name = "default", .labels = {{"a", "1"}}}).ok());
  ASSERT_TRUE(s.Create({.name = "k8s.io", .labels = {}}).ok());
  EXPECT_THAT(s.List().value(), ElementsAre("default", "k8s.io"));
  EXPECT_EQ(s.Get("default")->labels, (Labels{{"a", "1"}}));
  absl::Status dup = s.Create({.name = "default", .labels = {}});
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(std::string(dup.message()), "namespace \"default\": already exists");
  EXPECT_EQ(s.Get("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(NamespaceStoreTest, RejectsInvalidNamesAndLabels) {
  auto s = store();
  EXPECT_EQ(s.Create({.name = "a/b", .labels = {}}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.Create({.name = "ok", .labels = {{"", "v"}}}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.Create({.name = "ok", .labels = {{"k", std::string(5000, 'v')}}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.List().value(), ElementsAre());
}

TEST_F(NamespaceStoreTest, UpdateMasksSetDeleteAndReplaceLabels) {
  auto s = store();
  ASSERT_TRUE(s.Create({.name = "ns", .labels = {{"a", "1"}, {"b", "2"}}}).ok());
  auto u = s.Update({.name = "ns", .labels = {{"a", "9"}, {"c", "3"}}}, {"labels.a", "labels.b"});
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->labels, (Labels{{"a", "9"}}));  // b deleted (absent from the request), c not in the mask
  u = s.Update({.name = "ns", .labels = {{"x", "1"}}}, {});
  EXPECT_EQ(u->labels, (Labels{{"x", "1"}}));
  EXPECT_EQ(s.Get("ns")->labels, (Labels{{"x", "1"}}));
  EXPECT_EQ(s.Update({.name = "ns", .labels = {}}, {"name"}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(NamespaceStoreTest, UpdateOfAMissingNamespaceCreatesItAsContainerd) {
  auto s = store();
  ASSERT_TRUE(s.Update({.name = "fresh", .labels = {{"k", "v"}}}, {"labels.k"}).ok());
  EXPECT_EQ(s.Get("fresh")->labels, (Labels{{"k", "v"}}));
}

TEST_F(NamespaceStoreTest, WritesCreateTheNamespaceImplicitly) {
  ImageStore images(db_.get());
  ASSERT_TRUE(images.Create(Ns("implicit"), Image("docker.io/library/alpine:latest")).ok());
  EXPECT_THAT(store().List().value(), ElementsAre("implicit"));
}

TEST_F(NamespaceStoreTest, DeleteRefusesANamespaceThatStillHoldsObjects) {
  auto s = store();
  ImageStore images(db_.get());
  LeaseManager leases(db_.get());
  ASSERT_TRUE(images.Create(Ns("busy"), Image("img")).ok());
  ASSERT_TRUE(leases.Create(Ns("busy"), {.id = "l1", .created_at = {}, .labels = {}}).ok());
  // A namespace whose name extends "busy" must not count as "busy".
  ASSERT_TRUE(images.Create(Ns("busy-other"), Image("img")).ok());

  absl::Status st = s.Delete("busy");
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(st.message()), "namespace \"busy\" must be empty, but it still has images, leases");
  EXPECT_TRUE(s.Get("busy").ok()) << "a refused delete must not remove the namespace";

  ASSERT_TRUE(images.Delete(Ns("busy"), "img").ok());
  ASSERT_TRUE(leases.Delete(Ns("busy"), "l1").ok());
  EXPECT_TRUE(s.Delete("busy").ok());
  EXPECT_EQ(s.Get("busy").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.Delete("busy").code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.List().value(), ElementsAre("busy-other"));
}

TEST_F(NamespaceStoreTest, PersistsAcrossReopen) {
  ASSERT_TRUE(store().Create({.name = "keep", .labels = {{"l", "v"}}}).ok());
  Reopen();
  EXPECT_EQ(store().Get("keep")->labels, (Labels{{"l", "v"}}));
}

TEST(RequireNamespaceTest, MissingOrInvalidNamespaceIsInvalidArgument) {
  absl::StatusOr<std::string> ns = RequireNamespace(Context{});
  EXPECT_EQ(ns.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ns.status().message()), HasSubstr("namespace is required"));
  EXPECT_EQ(RequireNamespace(testing::DbTest::Ns("../x")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RequireNamespace(testing::DbTest::Ns("default")).value(), "default");
}

}  // namespace
}  // namespace berth::metadata
