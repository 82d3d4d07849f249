#include "plugins/snapshots/storage/metastore.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/status.h"

namespace berth::snapshots::storage {
namespace {

class MetaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/tmp/berth-metastore-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto ms = MetaStore::Open(dir_ / "metadata");
    ASSERT_TRUE(ms.ok()) << ms.status();
    ms_ = std::move(*ms);
  }
  void TearDown() override {
    ms_.reset();
    std::filesystem::remove_all(dir_);
  }
  absl::StatusOr<Snapshot> Create(Kind kind, const std::string& key, const std::string& parent) {
    ASSIGN_OR_RETURN(LmdbWriteTxn txn, ms_->BeginWrite());
    ASSIGN_OR_RETURN(Snapshot s, MetaStore::Create(txn, kind, key, parent, {}));
    RETURN_IF_ERROR(txn.Commit());
    return s;
  }
  absl::Status Commit(const std::string& key, const std::string& name) {
    ASSIGN_OR_RETURN(LmdbWriteTxn txn, ms_->BeginWrite());
    RETURN_IF_ERROR(MetaStore::Commit(txn, key, name, {.size = 7, .inodes = 2}, {}).status());
    return txn.Commit();
  }

  std::filesystem::path dir_;
  std::unique_ptr<MetaStore> ms_;
};

TEST_F(MetaStoreTest, IdsAreNeverReusedAndChainsResolve) {
  auto a = Create(Kind::kActive, "a", "");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(Commit("a", "A").ok());
  auto b = Create(Kind::kActive, "b", "A");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE(a->id, b->id);
  EXPECT_EQ(b->parent_ids, std::vector<std::string>{a->id});
  ASSERT_TRUE(Commit("b", "B").ok());
  auto c = Create(Kind::kView, "c", "B");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->parent_ids, (std::vector<std::string>{b->id, a->id}));

  {
    auto txn = ms_->BeginWrite();
    ASSERT_TRUE(txn.ok());
    EXPECT_TRUE(absl::IsFailedPrecondition(MetaStore::Remove(*txn, "B").status()));
    auto removed = MetaStore::Remove(*txn, "c");
    ASSERT_TRUE(removed.ok()) << removed.status();
    EXPECT_EQ(removed->id, c->id);
    ASSERT_TRUE(txn->Commit().ok());
  }
  auto d = Create(Kind::kActive, "c", "B");
  ASSERT_TRUE(d.ok());
  EXPECT_NE(d->id, c->id) << "a removed snapshot's id is never handed out again";

  auto read = ms_->BeginRead();
  ASSERT_TRUE(read.ok());
  auto rec = MetaStore::Get(*read, "A");
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->usage.size, 7);
  EXPECT_EQ(rec->usage.inodes, 2);
  auto ids = MetaStore::Ids(*read);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->size(), 3u);
}

TEST_F(MetaStoreTest, UncommittedTransactionsLeaveNothing) {
  {
    auto txn = ms_->BeginWrite();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(MetaStore::Create(*txn, Kind::kActive, "a", "", {}).ok());
  }  // aborted
  auto read = ms_->BeginRead();
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(absl::IsNotFound(MetaStore::Get(*read, "a").status()));
}

TEST_F(MetaStoreTest, KeysAreOpaqueStrings) {
  for (const std::string& key : std::vector<std::string>{"../../etc", "/abs/path", std::string("nul\0byte", 8), "a/b\n"}) {
    auto s = Create(Kind::kActive, key, "");
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->id.find_first_not_of("0123456789"), std::string::npos);
  }
  EXPECT_TRUE(absl::IsInvalidArgument(Create(Kind::kActive, "", "").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Create(Kind::kCommitted, "x", "").status()));
}

}  // namespace
}  // namespace berth::snapshots::storage
