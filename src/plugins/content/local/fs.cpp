#include "plugins/content/local/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/status.h"

namespace berth::content {
namespace {

class RealFs final : public Fs {
 public:
  absl::StatusOr<File> Open(const std::string& path, int flags, mode_t mode) override {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) return ErrnoStatus(errno, "open", path);
    return File(UniqueFd(fd), path);
  }

  absl::StatusOr<size_t> PWrite(const File& f, std::string_view data, int64_t offset) override {
    ssize_t n;
    do {
      n = ::pwrite(f.fd(), data.data(), data.size(), offset);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return ErrnoStatus(errno, "write", f.path());
    return static_cast<size_t>(n);
  }

  absl::StatusOr<size_t> PRead(const File& f, std::span<char> buf, int64_t offset) override {
    ssize_t n;
    do {
      n = ::pread(f.fd(), buf.data(), buf.size(), offset);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return ErrnoStatus(errno, "read", f.path());
    return static_cast<size_t>(n);
  }

  absl::Status Fsync(const File& f) override {
    if (::fsync(f.fd()) != 0) return ErrnoStatus(errno, "fsync", f.path());
    return absl::OkStatus();
  }

  absl::Status Truncate(const File& f, int64_t size) override {
    if (::ftruncate(f.fd(), size) != 0) return ErrnoStatus(errno, "truncate", f.path());
    return absl::OkStatus();
  }

  absl::StatusOr<struct stat> Fstat(const File& f) override {
    struct stat st;
    if (::fstat(f.fd(), &st) != 0) return ErrnoStatus(errno, "stat", f.path());
    return st;
  }

  absl::Status Fchmod(const File& f, mode_t mode) override {
    if (::fchmod(f.fd(), mode) != 0) return ErrnoStatus(errno, "chmod", f.path());
    return absl::OkStatus();
  }

  absl::Status SetTimes(const File& f, absl::Time t) override {
    struct timespec ts = absl::ToTimespec(t);
    struct timespec times[2] = {ts, ts};
    if (::futimens(f.fd(), times) != 0) return ErrnoStatus(errno, "set times of", f.path());
    return absl::OkStatus();
  }

  absl::Status StartWriteback(const File& f, int64_t offset, int64_t size) override {
    if (::sync_file_range(f.fd(), offset, size, SYNC_FILE_RANGE_WRITE) != 0) {
      return ErrnoStatus(errno, "start writeback of", f.path());
    }
    return absl::OkStatus();
  }

  absl::StatusOr<struct stat> Stat(const std::string& path) override {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "stat", path);
    return st;
  }

  absl::Status Rename(const std::string& from, const std::string& to, RenameMode mode) override {
    if (mode == RenameMode::kReplace) {
      if (::rename(from.c_str(), to.c_str()) != 0) return RenameError(errno, from, to);
      return absl::OkStatus();
    }
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
      return absl::OkStatus();
    }
    if (errno != EINVAL) return RenameError(errno, from, to);
    // The file system cannot rename without replacing; link(2) is the other atomic no-replace
    // primitive.
    if (::link(from.c_str(), to.c_str()) != 0) return RenameError(errno, from, to);
    if (::unlink(from.c_str()) != 0) return ErrnoStatus(errno, "unlink", from);
    return absl::OkStatus();
  }

  absl::Status Unlink(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus(errno, "unlink", path);
    return absl::OkStatus();
  }

  absl::Status Mkdir(const std::string& path, mode_t mode) override {
    if (::mkdir(path.c_str(), mode) != 0) return ErrnoStatus(errno, "mkdir", path);
    return absl::OkStatus();
  }

  absl::Status Rmdir(const std::string& path) override {
    if (::rmdir(path.c_str()) != 0) return ErrnoStatus(errno, "rmdir", path);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return ErrnoStatus(errno, "open directory", path);
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(dir)) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
      errno = 0;
    }
    int err = errno;
    ::closedir(dir);
    if (err != 0) return ErrnoStatus(err, "read directory", path);
    return names;
  }

 private:
  static absl::Status RenameError(int err, const std::string& from, const std::string& to) {
    return ErrnoStatus(err, "rename", fmt::format("{} to {}", from, to));
  }
};

}  // namespace

std::shared_ptr<Fs> NewRealFs() { return std::make_shared<RealFs>(); }

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (a.back() == '/') return fmt::format("{}{}", a, b);
  return fmt::format("{}/{}", a, b);
}

absl::Status PWriteAll(Fs& fs, const File& f, std::string_view data, int64_t offset) {
  while (!data.empty()) {
    ASSIGN_OR_RETURN(size_t n, fs.PWrite(f, data, offset));
    if (n == 0) return absl::InternalError(fmt::format("write {}: wrote nothing", f.path()));
    data.remove_prefix(n);
    offset += static_cast<int64_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSmallFile(Fs& fs, const std::string& path, size_t limit) {
  ASSIGN_OR_RETURN(File f, fs.Open(path, O_RDONLY));
  std::string out(limit + 1, '\0');
  size_t got = 0;
  while (got < out.size()) {
    ASSIGN_OR_RETURN(size_t n,
                     fs.PRead(f, std::span<char>(out).subspan(got), static_cast<int64_t>(got)));
    if (n == 0) break;
    got += n;
  }
  if (got > limit) {
    return absl::InvalidArgumentError(fmt::format("read {}: larger than {} bytes", path, limit));
  }
  out.resize(got);
  return out;
}

absl::Status WriteFileAtomic(Fs& fs, const std::string& path, std::string_view data, mode_t mode) {
  std::string tmp = fmt::format("{}.tmp", path);
  {
    ASSIGN_OR_RETURN(File f, fs.Open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode));
    RETURN_IF_ERROR(PWriteAll(fs, f, data, 0));
  }
  if (absl::Status s = fs.Rename(tmp, path, RenameMode::kReplace); !s.ok()) {
    IgnoreError(fs.Unlink(tmp), "the rename error is the one to report; Open sweeps *.tmp anyway");
    return s;
  }
  return absl::OkStatus();
}

absl::Status MkdirIfMissing(Fs& fs, const std::string& path, mode_t mode) {
  absl::Status s = fs.Mkdir(path, mode);
  if (s.ok() || !absl::IsAlreadyExists(s)) return s;
  ASSIGN_OR_RETURN(struct stat st, fs.Stat(path));
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(fmt::format("{} exists and is not a directory", path));
  }
  return absl::OkStatus();
}

absl::Status RemoveAll(Fs& fs, const std::string& path) {
  ASSIGN_OR_RETURN(struct stat st, fs.Stat(path));
  if (!S_ISDIR(st.st_mode)) return fs.Unlink(path);
  ASSIGN_OR_RETURN(std::vector<std::string> names, fs.ListDir(path));
  for (const std::string& name : names) {
    absl::Status s = RemoveAll(fs, JoinPath(path, name));
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  return fs.Rmdir(path);
}

absl::Status SyncDir(Fs& fs, const std::string& path) {
  ASSIGN_OR_RETURN(File dir, fs.Open(path, O_RDONLY | O_DIRECTORY));
  return fs.Fsync(dir);
}

}  // namespace berth::content
