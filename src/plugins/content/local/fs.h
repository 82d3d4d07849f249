// The file-system seam of LocalStore (LevelDB's Env, narrowed to what the store does).
//
// Every disk operation LocalStore performs goes through an Fs so that tests can make any one of
// them fail (a write that runs out of space at byte N, an fsync or a rename that fails at commit)
// and check that the store is left consistent. RealFs is the only production implementation;
// FaultFs (fault_fs.h) is test-only.
//
// Errors are absl::Status built by ErrnoStatus: they name the operation and the path, and keep
// errno's meaning (ENOENT → NotFound, EEXIST → AlreadyExists, ENOSPC/EDQUOT → ResourceExhausted).
// Implementations must be thread-safe: the store calls them from many writers at once.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/unique_fd.h"

namespace berth::content {

// An open file and the path it was opened by, so that errors and fault injection can name it.
class File {
 public:
  File() = default;
  File(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  bool valid() const { return fd_.valid(); }

 private:
  UniqueFd fd_;
  std::string path_;
};

enum class RenameMode {
  kReplace,    // rename(2): an existing target is replaced
  kNoReplace,  // fail with AlreadyExists if the target exists (atomically, where the file system
               // can)
};

class Fs {
 public:
  virtual ~Fs() = default;

  // open(2) with O_CLOEXEC added.
  virtual absl::StatusOr<File> Open(const std::string& path, int flags, mode_t mode = 0) = 0;
  // One pwrite(2): may write fewer bytes than asked (callers loop).
  virtual absl::StatusOr<size_t> PWrite(const File& f, std::string_view data, int64_t offset) = 0;
  // One pread(2): may read fewer bytes than asked; 0 at the end of the file.
  virtual absl::StatusOr<size_t> PRead(const File& f, std::span<char> buf, int64_t offset) = 0;
  virtual absl::Status Fsync(const File& f) = 0;
  virtual absl::Status Truncate(const File& f, int64_t size) = 0;
  virtual absl::StatusOr<struct stat> Fstat(const File& f) = 0;
  virtual absl::Status Fchmod(const File& f, mode_t mode) = 0;
  // Sets both access and modification time.
  virtual absl::Status SetTimes(const File& f, absl::Time t) = 0;
  // Asks the kernel to start writing back a range without waiting (sync_file_range WRITE), so the
  // fsync at commit has little left to do. Advisory: callers ignore its errors.
  virtual absl::Status StartWriteback(const File& f, int64_t offset, int64_t size) = 0;

  // lstat(2): symlinks are not followed.
  virtual absl::StatusOr<struct stat> Stat(const std::string& path) = 0;
  virtual absl::Status Rename(const std::string& from, const std::string& to, RenameMode mode) = 0;
  virtual absl::Status Unlink(const std::string& path) = 0;
  virtual absl::Status Mkdir(const std::string& path, mode_t mode) = 0;
  virtual absl::Status Rmdir(const std::string& path) = 0;
  // Names in a directory, without "." and "..", in no particular order.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) = 0;
};

// The operating system's file system.
std::shared_ptr<Fs> NewRealFs();

// Helpers built on the seam (so their failures are injectable too).

// Joins path parts with '/'; parts must not be absolute. Kept explicit so no caller concatenates
// strings by hand.
std::string JoinPath(std::string_view a, std::string_view b);
// Writes all of `data` at `offset`, looping over short writes.
absl::Status PWriteAll(Fs& fs, const File& f, std::string_view data, int64_t offset);
// Reads a small file whole (at most `limit` bytes; larger files are InvalidArgument).
absl::StatusOr<std::string> ReadSmallFile(Fs& fs, const std::string& path, size_t limit);
// Writes `data` to `path` through `path`.tmp and a rename, so readers see the old or the new
// content, never a torn one. Not fsynced: callers use it for state that may be lost in a crash.
absl::Status WriteFileAtomic(Fs& fs, const std::string& path, std::string_view data, mode_t mode);
// Creates a directory; an existing directory is fine.
absl::Status MkdirIfMissing(Fs& fs, const std::string& path, mode_t mode);
// Removes a file or a directory tree; NotFound if nothing is there. Does not follow symlinks.
absl::Status RemoveAll(Fs& fs, const std::string& path);
// fsyncs a directory, making renames and unlinks in it durable.
absl::Status SyncDir(Fs& fs, const std::string& path);

}  // namespace berth::content
