// Test fixtures for the metadata tests: a temp root removed afterwards, and a Db opened on it.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "base/context.h"
#include "metadata/db.h"

namespace berth::metadata::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "berth-meta-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    db_.reset();
    auto db = Db::Open(dir_.path());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
 public:
  static Context Ns(std::string ns, std::string lease = "") {
    Context ctx;
    ctx.ns = std::move(ns);
    ctx.lease = std::move(lease);
    return ctx;
  }

  TempDir dir_;
  std::unique_ptr<Db> db_;
};

}  // namespace berth::metadata::testing
