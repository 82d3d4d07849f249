#include "plugins/content/local/fault_fs.h"

#include <algorithm>

#include "base/status.h"

namespace berth::content {

void FaultFs::Fail(Op op, std::string path_part, int err, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back(Rule{op, std::move(path_part), err, times});
}

void FaultFs::FailWritesAfter(int64_t bytes, int err) {
  std::lock_guard<std::mutex> lock(mu_);
  write_budget_ = bytes;
  write_budget_err_ = err;
}

void FaultFs::CapWrites(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  write_cap_ = bytes;
}

void FaultFs::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.clear();
  write_budget_ = -1;
  write_cap_ = 0;
}

int FaultFs::fired() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fired_;
}

absl::Status FaultFs::Check(Op op, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Rule& r : rules_) {
    if (r.op != op || r.times == 0 || path.find(r.path_part) == std::string::npos) continue;
    if (r.times > 0) --r.times;
    ++fired_;
    return ErrnoStatus(r.err, "injected failure on", path);
  }
  return absl::OkStatus();
}

absl::StatusOr<File> FaultFs::Open(const std::string& path, int flags, mode_t mode) {
  RETURN_IF_ERROR(Check(Op::kOpen, path));
  return base_->Open(path, flags, mode);
}

absl::StatusOr<size_t> FaultFs::PWrite(const File& f, std::string_view data, int64_t offset) {
  RETURN_IF_ERROR(Check(Op::kWrite, f.path()));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (write_cap_ > 0) data = data.substr(0, write_cap_);
    if (write_budget_ == 0 && !data.empty()) {
      ++fired_;
      return ErrnoStatus(write_budget_err_, "injected failure on write", f.path());
    }
    if (write_budget_ > 0) data = data.substr(0, std::min<size_t>(data.size(), write_budget_));
  }
  ASSIGN_OR_RETURN(size_t n, base_->PWrite(f, data, offset));
  std::lock_guard<std::mutex> lock(mu_);
  if (write_budget_ > 0) write_budget_ -= static_cast<int64_t>(n);
  return n;
}

absl::Status FaultFs::Fsync(const File& f) {
  RETURN_IF_ERROR(Check(Op::kFsync, f.path()));
  return base_->Fsync(f);
}

absl::Status FaultFs::Truncate(const File& f, int64_t size) {
  RETURN_IF_ERROR(Check(Op::kTruncate, f.path()));
  return base_->Truncate(f, size);
}

absl::Status FaultFs::Fchmod(const File& f, mode_t mode) {
  RETURN_IF_ERROR(Check(Op::kChmod, f.path()));
  return base_->Fchmod(f, mode);
}

absl::Status FaultFs::Rename(const std::string& from, const std::string& to, RenameMode mode) {
  RETURN_IF_ERROR(Check(Op::kRename, to));
  return base_->Rename(from, to, mode);
}

absl::Status FaultFs::Unlink(const std::string& path) {
  RETURN_IF_ERROR(Check(Op::kUnlink, path));
  return base_->Unlink(path);
}

absl::Status FaultFs::Mkdir(const std::string& path, mode_t mode) {
  RETURN_IF_ERROR(Check(Op::kMkdir, path));
  return base_->Mkdir(path, mode);
}

}  // namespace berth::content
