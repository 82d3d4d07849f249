#include "metadata/db.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "metadata/test_util.h"

namespace berth::metadata {
namespace {

class DbOpenTest : public testing::DbTest {};

TEST_F(DbOpenTest, CreatesPrivateDirectoryWithLmdbFiles) {
  struct stat st;
  ASSERT_EQ(::stat((dir_.path() / "metadata").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "metadata" / "data.mdb"));
}

TEST_F(DbOpenTest, CommittedWritesSurviveReopenAndAbortedOnesDoNot) {
  ASSERT_TRUE(db_->Update([](WriteTxn& txn) { return txn.Put(Table::kImages, "k", "v"); }).ok());
  absl::Status failed = db_->Update([](WriteTxn& txn) -> absl::Status {
    EXPECT_TRUE(txn.Put(Table::kImages, "k2", "v2").ok());
    return absl::InternalError("boom");
  });
  EXPECT_EQ(failed.code(), absl::StatusCode::kInternal);
  Reopen();
  auto txn = db_->BeginRead();
  ASSERT_TRUE(txn.ok());
  EXPECT_EQ(txn->Get(Table::kImages, "k").value(), "v");
  EXPECT_EQ(txn->Get(Table::kImages, "k2").value(), std::nullopt);
}

TEST_F(DbOpenTest, ScanAndDeletePrefixStayWithinThePrefixAndTable) {
  ASSERT_TRUE(db_->Update([](WriteTxn& txn) -> absl::Status {
                   for (const char* k : {"a/1", "a/2", "a/3", "b/1", "a"}) {
                     if (auto s = txn.Put(Table::kImages, k, k); !s.ok()) return s;
                   }
                   return txn.Put(Table::kLeases, "a/9", "");
                 }).ok());
  ASSERT_TRUE(db_->Update([](WriteTxn& txn) { return txn.DeletePrefix(Table::kImages, "a/"); }).ok());
  std::vector<std::string> keys;
  ASSERT_TRUE(db_->View([&](const Txn& txn) {
                   return txn.Scan(Table::kImages, "", [&](std::string_view k, std::string_view) {
                     keys.emplace_back(k);
                     return true;
                   });
                 }).ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b/1"}));
  auto txn = db_->BeginRead();
  EXPECT_TRUE(txn->HasPrefix(Table::kLeases, "a/").value());
}

TEST_F(DbOpenTest, ReadTxnSeesASnapshot) {
  ASSERT_TRUE(db_->Update([](WriteTxn& txn) { return txn.Put(Table::kImages, "k", "old"); }).ok());
  auto reader = db_->BeginRead();
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(db_->Update([](WriteTxn& txn) { return txn.Put(Table::kImages, "k", "new"); }).ok());
  EXPECT_EQ(reader->Get(Table::kImages, "k").value(), "old");
}

TEST_F(DbOpenTest, RefusesANewerSchemaVersion) {
  ASSERT_TRUE(db_->Update([](WriteTxn& txn) { return txn.Put(Table::kMeta, "version", "99"); }).ok());
  db_.reset();
  auto db = Db::Open(dir_.path());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace berth::metadata
