// The headroom check: a full disk (or inode table) under the root fails pulls half-way and containers' writes;
// warn early, and say what `berth gc` would give back.
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "doctor/checks.h"
#include "fmt/format.h"

namespace berth::doctor {

namespace {

constexpr const char* kCheck = "headroom";
constexpr double kWarnSpace = 10.0, kWarnInodes = 5.0, kFailBelow = 2.0;  // percent free

std::string Bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, units[u]);
}

double Percent(uint64_t part, uint64_t whole) { return whole == 0 ? 100.0 : 100.0 * part / whole; }

}  // namespace

Finding EvaluateHeadroom(const std::string& root, const VfsStats& stats, const ReclaimableBytes& reclaimable) {
  const double space = Percent(stats.available_bytes, stats.total_bytes);
  const double inodes = Percent(stats.available_inodes, stats.total_inodes);
  Finding f{.check = kCheck};
  f.detail = fmt::format("{} free of {} ({:.1f}%)", Bytes(stats.available_bytes), Bytes(stats.total_bytes), space);
  if (stats.total_inodes > 0) {
    f.detail += fmt::format(", {} of {} inodes free ({:.1f}%)", stats.available_inodes, stats.total_inodes, inodes);
  }
  if (space < kFailBelow || inodes < kFailBelow) {
    f.status = Severity::kFail;
  } else if (space < kWarnSpace || inodes < kWarnInodes) {
    f.status = Severity::kWarn;
  }
  const bool low_space = space < kWarnSpace;
  const std::string low = low_space && inodes < kWarnInodes ? "space and inodes"
                          : low_space                       ? "space"
                                                            : "inodes";
  if (f.status == Severity::kOk) {
    f.what = fmt::format("the file system of {} has room ({:.0f}% space free)", root, space);
    return f;
  }
  f.what = fmt::format("the file system of {} is low on {}: pulls and container writes {}", root, low,
                       f.status == Severity::kFail ? "fail soon" : "may fail");
  std::string gc = "run `berth gc --dry-run` to see what garbage collection would free, then `berth gc`";
  if (reclaimable) {
    absl::StatusOr<int64_t> bytes = reclaimable();
    if (bytes.ok()) gc = fmt::format("`berth gc` would free {} now", Bytes(static_cast<uint64_t>(*bytes)));
  }
  f.fix = fmt::format("{}; `berth df` shows which images, containers and leases hold the rest (remove unused "
                      "images with `ctr images rm`, then gc), or grow the file system",
                      gc);
  return f;
}

Finding CheckHeadroom(const std::string& root, const ReclaimableBytes& reclaimable) {
  // Before berthd's first start the root does not exist: its future file system is the nearest parent's.
  std::filesystem::path dir = root;
  std::error_code ec;
  while (!std::filesystem::exists(dir, ec) && dir.has_parent_path() && dir != dir.parent_path()) {
    dir = dir.parent_path();
  }
  struct statvfs st{};
  if (::statvfs(dir.c_str(), &st) != 0) {
    return {.check = kCheck, .status = Severity::kWarn, .what = fmt::format("cannot statvfs {}", dir.string()),
            .detail = std::strerror(errno), .fix = "run berth doctor as root"};
  }
  const uint64_t unit = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
  return EvaluateHeadroom(root,
                          {.total_bytes = st.f_blocks * unit, .available_bytes = st.f_bavail * unit,
                           .total_inodes = st.f_files, .available_inodes = st.f_favail},
                          reclaimable);
}

}  // namespace berth::doctor
