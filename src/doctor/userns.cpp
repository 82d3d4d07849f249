// The userns check (incident 4: overlay mounts failing with "permission denied" under a user namespace). A layer
// root owned by an id the namespace does not map shows up as the overflow id inside it; overlayfs then refuses
// the mount or the copy-up. The finding names the dir, the owner and the mapping that disagree.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "doctor/checks.h"
#include "fmt/format.h"

namespace berth::doctor {

namespace {

namespace fs = std::filesystem;

constexpr const char* kCheck = "userns";
constexpr size_t kMaxNamed = 10;

uint32_t ReadOverflowId(const char* path) {
  std::ifstream in(path);
  uint32_t id = 65534;
  in >> id;
  return in ? id : 65534;
}

// Why `id` cannot be represented, or "" when it can.
std::string Unmapped(uint32_t id, const IdMap& map, uint32_t overflow, MappingSide side) {
  if (side == MappingSide::kContainerHost) {
    return MapsOutside(map, id) ? "" : "not a host id of the mapping";
  }
  if (IsInitialNamespace(map)) return "";
  if (!MapsInside(map, id)) return "not mapped";
  if (id == overflow) return "the overflow id: its real owner is not mapped";
  return "";
}

}  // namespace

std::vector<std::string> SnapshotLayerDirs(const std::string& root) {
  std::vector<std::string> out;
  const std::pair<const char*, const char*> layouts[] = {{"io.containerd.snapshotter.v1.overlayfs", "/fs"},
                                                         {"io.containerd.snapshotter.v1.native", ""}};
  for (const auto& [name, suffix] : layouts) {
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(fs::path(root) / name / "snapshots", ec)) {
      const std::string id = e.path().filename().string();
      // Snapshots are numeric ids; new-XXXXXX and rm-<id> are being created or removed.
      if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) continue;
      out.push_back(e.path().string() + suffix);
    }
  }
  return out;
}

std::vector<Finding> CheckSnapshotOwners(const std::vector<std::string>& dirs, const IdMappings& mappings,
                                         const OwnerCheckOptions& options) {
  const std::string mapping =
      fmt::format("uid_map {}, gid_map {}", FormatIdMap(mappings.uid), FormatIdMap(mappings.gid));
  std::string named;
  size_t bad = 0;
  std::string unreadable;
  for (const std::string& dir : dirs) {
    struct stat st{};
    if (::stat(dir.c_str(), &st) != 0) {
      if (errno != ENOENT && unreadable.empty()) unreadable = fmt::format("stat {}: {}", dir, std::strerror(errno));
      continue;  // ENOENT: removed meanwhile
    }
    std::string uid_why = Unmapped(st.st_uid, mappings.uid, options.overflow_uid, options.side);
    std::string gid_why = Unmapped(st.st_gid, mappings.gid, options.overflow_gid, options.side);
    if (uid_why.empty() && gid_why.empty()) continue;
    if (++bad > kMaxNamed) continue;
    named += fmt::format("{}{} is owned by {}:{} ({})", named.empty() ? "" : "; ", dir, st.st_uid, st.st_gid,
                         !uid_why.empty() ? "uid " + uid_why : "gid " + gid_why);
  }
  std::vector<Finding> out;
  if (bad > 0) {
    if (bad > kMaxNamed) named += fmt::format("; and {} more", bad - kMaxNamed);
    const std::string fix =
        options.side == MappingSide::kContainerHost
            ? "chown the snapshot dirs to the mapping's host ids (e.g. the host id of container root), or change "
              "the container's linux.uidMappings/gidMappings to cover their owner"
            : "from the parent namespace, chown -R the snapshot dirs into the mapping (e.g. to the host id that "
              "maps to 0 inside), or add their owner to berthd's mapping (/etc/subuid, /etc/subgid, or the "
              "uid_map written for it)";
    out.push_back({.check = kCheck, .status = Severity::kFail,
                   .what = fmt::format("{} snapshot dirs are owned by ids outside {}: overlay mounts of them fail "
                                       "with permission denied",
                                       bad, options.whose),
                   .detail = fmt::format("{}; {}", named, mapping),
                   .fix = fix});
  } else {
    out.push_back({.check = kCheck, .status = Severity::kOk,
                   .what = fmt::format("{} snapshot dirs, all owned by ids that {} maps", dirs.size(), options.whose),
                   .detail = mapping});
  }
  if (!unreadable.empty()) {
    out.push_back({.check = kCheck, .status = Severity::kWarn, .what = "some snapshot dirs cannot be examined",
                   .detail = unreadable, .fix = "run berth doctor as root (or with berthd running)"});
  }
  return out;
}

std::vector<Finding> CheckUserNamespace(const std::string& root, const std::string& whose) {
  absl::StatusOr<IdMap> uid = ReadIdMap("/proc/self/uid_map");
  absl::StatusOr<IdMap> gid = ReadIdMap("/proc/self/gid_map");
  if (!uid.ok() || !gid.ok()) {
    return {{.check = kCheck, .status = Severity::kWarn, .what = "cannot read the user-namespace mapping",
             .detail = std::string((!uid.ok() ? uid.status() : gid.status()).message()),
             .fix = "check that /proc is mounted"}};
  }
  if (IsInitialNamespace(*uid) && IsInitialNamespace(*gid)) {
    return {{.check = kCheck, .status = Severity::kOk,
             .what = "not in a user namespace: every file owner is mapped",
             .detail = fmt::format("uid_map {}, gid_map {}", FormatIdMap(*uid), FormatIdMap(*gid))}};
  }
  return CheckSnapshotOwners(SnapshotLayerDirs(root), {.uid = *uid, .gid = *gid},
                             {.side = MappingSide::kOwnNamespace,
                              .overflow_uid = ReadOverflowId("/proc/sys/kernel/overflowuid"),
                              .overflow_gid = ReadOverflowId("/proc/sys/kernel/overflowgid"),
                              .whose = whose});
}

}  // namespace berth::doctor
