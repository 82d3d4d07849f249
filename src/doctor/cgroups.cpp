// The cgroups check: which hierarchy runc will find (v2, v1, or hybrid) and whether the controllers that
// containers' limits need (memory, cpu, pids) are there.
#include <fstream>
#include <set>
#include <sstream>

#include "doctor/checks.h"
#include "doctor/split.h"
#include "fmt/format.h"

namespace berth::doctor {

namespace {

constexpr const char* kCheck = "cgroups";
constexpr const char* kCgroupRoot = "/sys/fs/cgroup";
constexpr const char* kNeeded[] = {"memory", "cpu", "pids"};

std::string Missing(const std::set<std::string>& have) {
  std::string out;
  for (const char* c : kNeeded) {
    if (!have.contains(c)) out += fmt::format("{}{}", out.empty() ? "" : ", ", c);
  }
  return out;
}

std::string Joined(const std::set<std::string>& s) {
  std::string out;
  for (const std::string& c : s) out += fmt::format("{}{}", out.empty() ? "" : " ", c);
  return out;
}

}  // namespace

std::vector<Finding> EvaluateCgroups(const std::vector<MountEntry>& mounts, const std::string& v2_controllers) {
  bool unified_root = false;  // cgroup2 on /sys/fs/cgroup itself: pure v2
  bool hybrid = false;        // a cgroup2 mount elsewhere beside v1 hierarchies
  std::set<std::string> v1;
  for (const MountEntry& m : mounts) {
    if (m.fs_type == "cgroup2") {
      if (m.mount_point == kCgroupRoot) {
        unified_root = true;
      } else {
        hybrid = true;
      }
    } else if (m.fs_type == "cgroup") {
      for (std::string_view opt : SplitAny(m.super_options, ",")) v1.insert(std::string(opt));
    }
  }
  std::vector<Finding> out;
  if (unified_root) {
    std::set<std::string> have;
    for (std::string_view c : SplitAny(v2_controllers, " \n")) have.insert(std::string(c));
    const std::string missing = Missing(have);
    if (missing.empty()) {
      out.push_back({.check = kCheck, .status = Severity::kOk, .what = "cgroup v2 with memory, cpu and pids",
                     .detail = fmt::format("{}/cgroup.controllers: {}", kCgroupRoot, Joined(have))});
    } else {
      out.push_back({.check = kCheck, .status = Severity::kWarn,
                     .what = fmt::format("cgroup v2 without {}: limits on it are not enforced (runc fails for "
                                         "containers that set them)",
                                         missing),
                     .detail = fmt::format("{}/cgroup.controllers: {}", kCgroupRoot, Joined(have)),
                     .fix = fmt::format("enable {} in the kernel (CONFIG_MEMCG, CONFIG_CGROUP_PIDS, …) and drop any "
                                        "cgroup_disable= from the kernel command line",
                                        missing)});
    }
    return out;
  }
  if (v1.empty()) {
    out.push_back({.check = kCheck, .status = Severity::kFail,
                   .what = fmt::format("no cgroup hierarchy is mounted on {}: runc cannot create containers",
                                       kCgroupRoot),
                   .detail = "no cgroup or cgroup2 mount in /proc/self/mountinfo",
                   .fix = fmt::format("mount -t cgroup2 none {} (systemd does it at boot)", kCgroupRoot)});
    return out;
  }
  std::set<std::string> controllers;
  for (const std::string& o : v1) {
    if (o != "rw" && o != "ro" && !o.starts_with("name=") && o.find('=') == std::string::npos) controllers.insert(o);
  }
  const std::string missing = Missing(controllers);
  std::string what = fmt::format("cgroup v1{}", hybrid ? " (hybrid, with a cgroup2 mount for systemd)" : "");
  if (!missing.empty()) {
    out.push_back({.check = kCheck, .status = Severity::kWarn,
                   .what = fmt::format("{} without {}: limits on it are not enforced", what, missing),
                   .detail = fmt::format("v1 controllers mounted: {}", Joined(controllers)),
                   .fix = fmt::format("mount the missing hierarchies (mount -t cgroup -o {} cgroup {}/{}) or boot "
                                      "with cgroup v2",
                                      missing.substr(0, missing.find(',')), kCgroupRoot,
                                      missing.substr(0, missing.find(',')))});
    return out;
  }
  out.push_back({.check = kCheck, .status = Severity::kWarn,
                 .what = fmt::format("{} with memory, cpu and pids: it works, but v1 is in maintenance mode "
                                     "(Kubernetes, systemd)",
                                     what),
                 .detail = fmt::format("v1 controllers mounted: {}", Joined(controllers)),
                 .fix = "boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2) when the node's workloads allow"});
  return out;
}

std::vector<Finding> CheckCgroups() {
  absl::StatusOr<std::vector<MountEntry>> mounts = ReadMountInfo();
  if (!mounts.ok()) {
    return {{.check = kCheck, .status = Severity::kWarn, .what = "cannot read the mount table",
             .detail = std::string(mounts.status().message()), .fix = "check that /proc is mounted"}};
  }
  std::ifstream in(fmt::format("{}/cgroup.controllers", kCgroupRoot));
  std::ostringstream controllers;
  if (in) controllers << in.rdbuf();
  return EvaluateCgroups(*mounts, controllers.str());
}

}  // namespace berth::doctor
