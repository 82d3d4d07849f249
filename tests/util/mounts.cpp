#include "tests/util/mounts.h"

#include <sys/mount.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/util/subprocess.h"

namespace berth::testing {
namespace {

// /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool IsAtOrBelow(const std::string& path, const std::string& prefix) {
  return path == prefix || (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
                            path[prefix.size()] == '/');
}

}  // namespace

std::vector<std::string> MountPointsUnder(const std::string& prefix) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    mount_point = Unescape(mount_point);
    if (IsAtOrBelow(mount_point, prefix)) out.push_back(mount_point);
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

int UnmountAllUnder(const std::string& prefix) {
  auto points = MountPointsUnder(prefix);
  for (const auto& p : points) umount2(p.c_str(), MNT_DETACH);
  return static_cast<int>(points.size());
}

ImageMount::~ImageMount() {
  if (!mounted()) return;
  auto r = Unmount();
  if (!r) ADD_FAILURE() << r.message();
}

::testing::AssertionResult ImageMount::Mount(const Ctr& ctr, const std::string& image,
                                             const std::string& target, ImageMount* out, bool rw) {
  std::filesystem::create_directories(target);
  std::vector<std::string> args = {"images", "mount"};
  if (rw) args.push_back("--rw");
  args.insert(args.end(), {image, target});
  auto r = ctr.Run(args);
  if (!r.ok()) {
    UnmountAllUnder(target);
    return ::testing::AssertionFailure() << "cannot mount " << image << "\n" << r.Describe();
  }
  out->ctr_ = ctr;
  out->target_ = target;
  if (MountPointsUnder(target).empty()) {
    return ::testing::AssertionFailure() << "`ctr images mount` succeeded but nothing is mounted on " << target;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ImageMount::Unmount() {
  if (!mounted()) return ::testing::AssertionSuccess();
  std::string target = target_;
  target_.clear();
  auto r = ctr_->Run({"images", "unmount", "--rm", target});
  int left = UnmountAllUnder(target);
  if (!r.ok()) return ::testing::AssertionFailure() << "cannot unmount " << target << "\n" << r.Describe();
  if (left != 0) {
    return ::testing::AssertionFailure() << "`ctr images unmount` left " << left << " mount(s) on " << target;
  }
  return ::testing::AssertionSuccess();
}

SnapshotMount::~SnapshotMount() {
  auto r = Unmount();
  if (!r) ADD_FAILURE() << r.message();
}

::testing::AssertionResult SnapshotMount::Mount(const Ctr& ctr, const std::string& snapshotter,
                                                const std::string& key, const std::string& target,
                                                SnapshotMount* out) {
  std::filesystem::create_directories(target);
  auto r = ctr.Run({"snapshots", "--snapshotter", snapshotter, "mounts", target, key});
  if (!r.ok()) return ::testing::AssertionFailure() << r.Describe();
  auto lines = Lines(r.out);
  if (lines.empty()) return ::testing::AssertionFailure() << "no mounts for " << key << "\n" << r.Describe();
  for (const auto& line : lines) {
    // "mount -t TYPE SOURCE TARGET -o OPTS"; the target is ours, so split on spaces is safe for temp paths.
    auto f = Fields(line);
    if (f.size() < 5 || f[0] != "mount" || f[1] != "-t") {
      return ::testing::AssertionFailure() << "unexpected `snapshots mounts` line: " << line;
    }
    std::vector<std::string> argv = f;
    // A bind mount of a snapshot dir: `mount -t bind` works with util-linux (it maps bind to MS_BIND).
    auto m = RunCommand(argv);
    if (!m.ok()) return ::testing::AssertionFailure() << "mount failed\n" << m.Describe();
    out->target_ = target;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult SnapshotMount::Unmount() {
  if (target_.empty()) return ::testing::AssertionSuccess();
  std::string target = target_;
  target_.clear();
  int n = UnmountAllUnder(target);
  if (n == 0) return ::testing::AssertionFailure() << "nothing was mounted on " << target;
  return ::testing::AssertionSuccess();
}

}  // namespace berth::testing
