#include "plugins/runtime/bundle.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "base/atomic_file.h"
#include "base/close_on_exec.h"
#include "base/status.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "ttrpc/unix_socket.h"

namespace berth::runtime {

namespace {

namespace fs = std::filesystem;

absl::Status MakeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return ErrnoStatus(errno, "mkdir", path);
  if (::chmod(path.c_str(), mode) != 0) return ErrnoStatus(errno, "chmod", path);
  return absl::OkStatus();
}

void UnmountAll(const std::string& path) {
  // Lazy unmounts until nothing is mounted there (EINVAL), bounded in case something keeps remounting.
  for (int i = 0; i < 32; ++i) {
    if (::umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) break;
  }
}

}  // namespace

Bundle::Bundle(std::string tasks_root, std::string ns, std::string id)
    : ns_(std::move(ns)), id_(std::move(id)), dir_(fmt::format("{}/{}/{}", tasks_root, ns_, id_)) {}

absl::Status Bundle::Create(const std::string& spec_json) const {
  RETURN_IF_ERROR(MakeDir(fs::path(dir_).parent_path().string(), 0700));
  if (::mkdir(dir_.c_str(), 0700) != 0) {
    if (errno == EEXIST) return absl::AlreadyExistsError(fmt::format("task {}: already exists", id_));
    return ErrnoStatus(errno, "mkdir", dir_);
  }
  RETURN_IF_ERROR(WriteFileAtomically(dir_ + "/config.json", spec_json, 0600));
  RETURN_IF_ERROR(MakeDir(rootfs(), 0711));
  std::string log = dir_ + "/log";
  if (::mkfifo(log.c_str(), 0700) != 0) return ErrnoStatus(errno, "mkfifo", log);
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> Bundle::OpenLog() const {
  std::string log = dir_ + "/log";
  UniqueFd fd(::open(log.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(errno, "open", log);
  return fd;
}

absl::Status Bundle::WriteShimBinaryPath(const std::string& path) const {
  return WriteFileAtomically(dir_ + "/shim-binary-path", path, 0600);
}

absl::StatusOr<std::string> Bundle::ReadShimBinaryPath() const { return ReadSmallFile(dir_ + "/shim-binary-path"); }

absl::Status Bundle::MarkDeleted() const {
  const std::string from = dir_ + "/shim-binary-path", to = dir_ + "/deleted";
  if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus(errno, "rename", from);
  return absl::OkStatus();
}

bool Bundle::MarkedDeleted() const { return ::access((dir_ + "/deleted").c_str(), F_OK) == 0; }

absl::StatusOr<std::string> Bundle::ReadAddress() const {
  ASSIGN_OR_RETURN(std::string address, ReadSmallFile(dir_ + "/address"));
  while (!address.empty() && std::isspace(static_cast<unsigned char>(address.back()))) address.pop_back();
  return ttrpc::StripUnixScheme(address);
}

absl::Status Bundle::WriteExit(const RecordedExit& exit) const {
  nlohmann::json j{{"pid", exit.pid},
                   {"exit_status", exit.exit_status},
                   {"exited_at", absl::ToUnixNanos(exit.exited_at)},
                   {"reason", exit.reason},
                   {"stop_reason", exit.stop_reason}};
  return WriteFileAtomically(dir_ + "/exit.json", j.dump(), 0600);
}

absl::StatusOr<std::optional<RecordedExit>> Bundle::ReadExit() const {
  auto data = ReadSmallFile(dir_ + "/exit.json");
  if (!data.ok()) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(*data);
    return RecordedExit{.pid = j.value("pid", 0u),
                        .exit_status = j.value("exit_status", 0u),
                        .exited_at = absl::FromUnixNanos(j.value("exited_at", int64_t{0})),
                        .reason = j.value("reason", ""),
                        .stop_reason = j.value("stop_reason", "")};
  } catch (const std::exception& e) {
    return absl::DataLossError(fmt::format("{}/exit.json: {}", dir_, e.what()));
  }
}

absl::Status Bundle::Release() const {
  UnmountAll(rootfs());
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return absl::OkStatus();
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.path().filename() == "exit.json") continue;
    if (entry.path().filename() == "rootfs") {
      // Never remove_all here: if it were still mounted that would delete the container's files.
      if (::rmdir(rootfs().c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, "rmdir", rootfs());
      continue;
    }
    fs::remove_all(entry.path(), ec);
    if (ec) return absl::InternalError(fmt::format("remove {}: {}", entry.path().string(), ec.message()));
  }
  return absl::OkStatus();
}

absl::Status Bundle::Remove() const {
  RETURN_IF_ERROR(UnmountRootfs());
  std::error_code ec;
  // The shim's last events (its exit, recorded as stop-reason.json) may still land while the bundle goes: a file
  // written meanwhile makes remove_all fail with ENOTEMPTY, and the next pass takes it. Bounded.
  for (int pass = 0; pass < 5; ++pass) {
    ec.clear();
    fs::remove_all(dir_, ec);
    if (ec != std::errc::directory_not_empty) break;
  }
  if (ec) return absl::InternalError(fmt::format("remove bundle {}: {}", dir_, ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<std::string> Bundle::MoveAside() const {
  RETURN_IF_ERROR(UnmountRootfs());
  static std::atomic<uint64_t> moved{0};
  std::string aside =
      fmt::format("{}/{}{}-{}-{}", fs::path(dir_).parent_path().string(), kAsidePrefix, id_, ::getpid(), moved++);
  if (::rename(dir_.c_str(), aside.c_str()) != 0) {
    if (errno == ENOENT) return std::string();
    return ErrnoStatus(errno, "rename", dir_);
  }
  return aside;
}

absl::Status Bundle::UnmountRootfs() const {
  UnmountAll(rootfs());
  // rmdir, not a recursive removal: were it still a mount point, that would walk into the container's files.
  if (::rmdir(rootfs().c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, "rmdir", rootfs());
  return absl::OkStatus();
}

}  // namespace berth::runtime
