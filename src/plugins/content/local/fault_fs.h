// Test-only Fs that forwards to a real one and fails chosen operations, to prove LocalStore's crash
// ordering without killing processes. Not linked into berthd.
#pragma once

#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "plugins/content/local/fs.h"

namespace berth::content {

class FaultFs final : public Fs {
 public:
  enum class Op { kOpen, kWrite, kFsync, kTruncate, kChmod, kRename, kUnlink, kMkdir };

  explicit FaultFs(std::shared_ptr<Fs> base) : base_(std::move(base)) {}

  // Fails the next `times` (-1: every) `op` on a path containing `path_part` with `err`. For
  // renames the destination is matched.
  void Fail(Op op, std::string path_part, int err, int times = -1);
  // Lets `bytes` more bytes be written in total, then fails writes with `err` (the write crossing
  // the limit is cut short first, as a full disk does).
  void FailWritesAfter(int64_t bytes, int err = ENOSPC);
  // Caps every pwrite at `bytes`, exercising callers' short-write loops.
  void CapWrites(size_t bytes);
  void Clear();
  // How many injected failures fired so far.
  int fired() const;

  absl::StatusOr<File> Open(const std::string& path, int flags, mode_t mode) override;
  absl::StatusOr<size_t> PWrite(const File& f, std::string_view data, int64_t offset) override;
  absl::StatusOr<size_t> PRead(const File& f, std::span<char> buf, int64_t offset) override {
    return base_->PRead(f, buf, offset);
  }
  absl::Status Fsync(const File& f) override;
  absl::Status Truncate(const File& f, int64_t size) override;
  absl::StatusOr<struct stat> Fstat(const File& f) override { return base_->Fstat(f); }
  absl::Status Fchmod(const File& f, mode_t mode) override;
  absl::Status SetTimes(const File& f, absl::Time t) override { return base_->SetTimes(f, t); }
  absl::Status StartWriteback(const File& f, int64_t offset, int64_t size) override {
    return base_->StartWriteback(f, offset, size);
  }
  absl::StatusOr<struct stat> Stat(const std::string& path) override { return base_->Stat(path); }
  absl::Status Rename(const std::string& from, const std::string& to, RenameMode mode) override;
  absl::Status Unlink(const std::string& path) override;
  absl::Status Mkdir(const std::string& path, mode_t mode) override;
  absl::Status Rmdir(const std::string& path) override { return base_->Rmdir(path); }
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) override {
    return base_->ListDir(path);
  }

 private:
  struct Rule {
    Op op;
    std::string path_part;
    int err;
    int times;
  };
  // The injected error for `op` on `path`, or OK.
  absl::Status Check(Op op, const std::string& path);

  std::shared_ptr<Fs> base_;
  mutable std::mutex mu_;
  std::vector<Rule> rules_;        // guarded by mu_
  int64_t write_budget_ = -1;      // guarded by mu_; -1: unlimited
  int write_budget_err_ = ENOSPC;  // guarded by mu_
  size_t write_cap_ = 0;           // guarded by mu_; 0: none
  int fired_ = 0;                  // guarded by mu_
};

}  // namespace berth::content
