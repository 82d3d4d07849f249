#include "doctor/doctor.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "base/unique_fd.h"
#include "fmt/format.h"

namespace berth::doctor {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kOk: return "ok";
    case Severity::kWarn: return "warn";
    case Severity::kFail: return "fail";
  }
  return "fail";
}

bool AnyFailed(const std::vector<Finding>& findings) {
  for (const Finding& f : findings) {
    if (f.status == Severity::kFail) return true;
  }
  return false;
}

std::vector<Finding> RunChecks(const DoctorOptions& options) {
  const LeftoverScope scope = options.scope.Canonical();
  std::vector<Finding> out;
  auto add = [&out](std::vector<Finding> more) {
    for (Finding& f : more) out.push_back(std::move(f));
  };
  add(CheckOverlay(scope.root + "/io.containerd.snapshotter.v1.overlayfs"));
  add(CheckUserNamespace(scope.root, fmt::format("{}'s user namespace", options.process)));
  add(CheckCgroups());
  add(CheckRuntimes());
  out.push_back(CheckHeadroom(scope.root, options.reclaimable));
  add(CheckMounts(scope));
  return out;
}

bool DaemonHoldsRoot(const std::string& root) {
  UniqueFd fd(::open((root + "/berthd.lock").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  return ::flock(fd.get(), LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
}

}  // namespace berth::doctor
