// The overlay check: is overlayfs there, and does a real overlay mount (with a copy-up) work on the file system
// that holds the snapshots? A mount that fails here is the mount every container start would fail.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "doctor/checks.h"
#include "fmt/format.h"

namespace berth::doctor {

namespace {

namespace fs = std::filesystem;

constexpr const char* kCheck = "overlay";

bool OverlayListed() {
  std::ifstream in("/proc/filesystems");
  for (std::string line; std::getline(in, line);) {
    if (line.ends_with("\toverlay")) return true;
  }
  return false;
}

bool OverlayModuleInstalled() {
  utsname u{};
  if (::uname(&u) != 0) return false;
  std::error_code ec;
  return fs::exists(fmt::format("/lib/modules/{}/kernel/fs/overlayfs", u.release), ec);
}

std::string FsTypeName(const std::string& dir) {
  struct statfs st{};
  if (::statfs(dir.c_str(), &st) != 0) return "unknown";
  switch (static_cast<uint64_t>(st.f_type)) {
    case 0xEF53: return "ext4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x01021994: return "tmpfs";
    case 0x794C7630: return "overlay";
    case 0x6969: return "nfs";
    case 0x2FC12FC1: return "zfs";
    case 0x65735546: return "fuse";
    default: return fmt::format("0x{:x}", static_cast<uint64_t>(st.f_type));
  }
}

// The nearest existing directory at or above `dir` (the root may not exist before berthd first starts).
std::string ExistingDir(fs::path dir) {
  std::error_code ec;
  while (!fs::is_directory(dir, ec) && dir.has_parent_path() && dir != dir.parent_path()) dir = dir.parent_path();
  return dir.string();
}

// A probe directory: lower1 (with a file), lower2, and per attempt its own upper/work (volatile marks a workdir
// so that no later mount may reuse it).
class Probe {
 public:
  explicit Probe(std::string dir) : dir_(std::move(dir)) {}
  ~Probe() {
    if (!mounted_) {
      std::error_code ec;
      fs::remove_all(dir_, ec);  // a leftover probe dir is only a few empty files
    }
  }
  const std::string& dir() const { return dir_; }

  bool Prepare(std::string* error) {
    std::error_code ec;
    for (const char* sub : {"lower1", "lower2", "merged"}) fs::create_directories(fs::path(dir_) / sub, ec);
    std::ofstream(fs::path(dir_) / "lower1/file") << "lower";
    if (ec) *error = fmt::format("cannot create the probe dirs under {}: {}", dir_, ec.message());
    return !ec;
  }

  // Mounts with `extra` options (comma-separated, may be empty); errno on failure, 0 on success.
  int Mount(const std::string& extra, bool index_off) {
    const std::string n = std::to_string(attempt_++);
    const std::string upper = dir_ + "/upper" + n, work = dir_ + "/work" + n;
    ::mkdir(upper.c_str(), 0755);
    ::mkdir(work.c_str(), 0700);
    std::string data = fmt::format("lowerdir={}/lower2:{}/lower1,upperdir={},workdir={}", dir_, dir_, upper, work);
    if (index_off) data += ",index=off";
    if (!extra.empty()) data += "," + extra;
    const std::string merged = dir_ + "/merged";
    if (::mount("overlay", merged.c_str(), "overlay", 0, data.c_str()) != 0) return errno;
    mounted_ = true;
    last_upper_ = upper;
    return 0;
  }

  // Writes to the lower file through the overlay (a copy-up); errno on failure.
  int CopyUp() {
    int fd = ::open((dir_ + "/merged/file").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) return errno;
    int err = ::write(fd, "+", 1) == 1 ? 0 : errno;
    ::close(fd);
    struct stat st{};
    if (err == 0 && ::stat((last_upper_ + "/file").c_str(), &st) != 0) err = errno;
    return err;
  }

  int Unmount() {
    const std::string merged = dir_ + "/merged";
    if (::umount2(merged.c_str(), 0) != 0 && ::umount2(merged.c_str(), MNT_DETACH) != 0) return errno;
    mounted_ = false;
    return 0;
  }

 private:
  std::string dir_;
  std::string last_upper_;
  int attempt_ = 0;
  bool mounted_ = false;
};

std::string FixFor(int err, const std::string& dir, const std::string& fs_type) {
  if (err == EPERM || err == EACCES) {
    return "permission denied: in a user namespace overlayfs needs Linux >= 5.11 and snapshot dirs owned by mapped "
           "ids (see the userns check); otherwise run berthd as root";
  }
  if (err == ENODEV) return "load overlayfs: modprobe overlay (and list it in /etc/modules-load.d/)";
  return fmt::format("{} ({}) cannot hold overlay upper dirs (needs d_type and xattrs, e.g. ext4, or xfs with "
                     "ftype=1): put the root on such a file system (berthd --root), or use the native snapshotter",
                     dir, fs_type);
}

}  // namespace

std::vector<Finding> CheckOverlay(const std::string& snapshotter_dir) {
  std::vector<Finding> out;
  if (!OverlayListed()) {
    if (OverlayModuleInstalled()) {
      out.push_back({.check = kCheck, .status = Severity::kWarn,
                     .what = "overlayfs is not loaded (its module is installed; the first mount loads it)",
                     .detail = "overlay is not in /proc/filesystems",
                     .fix = "modprobe overlay, and list it in /etc/modules-load.d/ so it loads at boot"});
    } else {
      out.push_back({.check = kCheck, .status = Severity::kFail,
                     .what = "this kernel has no overlayfs: berthd falls back to the native snapshotter (full "
                             "copies of every layer)",
                     .detail = "overlay is neither in /proc/filesystems nor installed as a module",
                     .fix = "boot a kernel with CONFIG_OVERLAY_FS, or pull with --snapshotter native"});
      return out;
    }
  }
  const std::string dir = ExistingDir(snapshotter_dir);
  const std::string fs_type = FsTypeName(dir);
  if (::geteuid() != 0) {
    out.push_back({.check = kCheck, .status = Severity::kWarn,
                   .what = "overlay mount not tested: it needs root",
                   .detail = fmt::format("{} is on {}", dir, fs_type),
                   .fix = "run berth doctor as root, or with berthd running (it tests as itself)"});
    return out;
  }
  std::string pattern = dir + "/doctor-probe-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    int err = errno;
    out.push_back({.check = kCheck, .status = Severity::kFail,
                   .what = fmt::format("cannot create a probe dir under {}", dir),
                   .detail = fmt::format("mkdtemp {}: {}", pattern, std::strerror(err)),
                   .fix = fmt::format("make {} writable by berthd (and check the file system is not read-only)",
                                      dir)});
    return out;
  }
  Probe probe(pattern);
  std::string error;
  if (!probe.Prepare(&error)) {
    out.push_back({.check = kCheck, .status = Severity::kFail, .what = error, .detail = "",
                   .fix = fmt::format("check the file system of {} (full? read-only?)", dir)});
    return out;
  }
  struct stat st{};
  const bool index_off = ::stat("/sys/module/overlay/parameters/index", &st) == 0;
  const std::string base = index_off ? "2 lowerdirs, upperdir, workdir, index=off" : "2 lowerdirs, upperdir, workdir";
  if (int err = probe.Mount("", index_off); err != 0) {
    out.push_back({.check = kCheck, .status = Severity::kFail,
                   .what = fmt::format("an overlay mount fails under {}: {}", dir, std::strerror(err)),
                   .detail = fmt::format("mount -t overlay ({}) in {} on {}", base, probe.dir(), fs_type),
                   .fix = FixFor(err, dir, fs_type)});
    return out;
  }
  const int copy_up = probe.CopyUp();
  if (int err = probe.Unmount(); err != 0) {
    out.push_back({.check = kCheck, .status = Severity::kWarn,
                   .what = fmt::format("the probe overlay on {}/merged cannot be unmounted: {}", probe.dir(),
                                       std::strerror(err)),
                   .fix = fmt::format("umount {}/merged && rm -r {}", probe.dir(), probe.dir())});
    return out;
  }
  if (copy_up != 0) {
    out.push_back({.check = kCheck, .status = Severity::kFail,
                   .what = fmt::format("overlay mounts under {}, but writing a lower file fails: {}", dir,
                                       std::strerror(copy_up)),
                   .detail = fmt::format("copy-up of {}/lower1/file on {}", probe.dir(), fs_type),
                   .fix = FixFor(copy_up, dir, fs_type)});
    return out;
  }
  // Optional features: none is required, but they tell why a later mount with them would fail.
  std::string accepted, refused;
  for (const char* option : {"redirect_dir=on", "metacopy=on", "volatile", "userxattr"}) {
    int err = probe.Mount(option, index_off);
    if (err == 0) err = probe.Unmount();
    std::string& list = err == 0 ? accepted : refused;
    list += fmt::format("{}{}{}", list.empty() ? "" : ", ", option, err == 0 ? "" : fmt::format(" ({})", std::strerror(err)));
  }
  out.push_back({.check = kCheck, .status = Severity::kOk,
                 .what = fmt::format("overlay mounts and copies up under {} ({})", dir, fs_type),
                 .detail = fmt::format("mounted with {}; also accepts: {}; refuses: {}", base,
                                       accepted.empty() ? "none" : accepted, refused.empty() ? "none" : refused)});
  return out;
}

}  // namespace berth::doctor
