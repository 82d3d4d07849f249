// The runtimes check: runc (present, and new enough for the OCI features containers use) and the runtime-v2 shim
// binaries, found as berthd finds them.
#include <unistd.h>

#include <cstdlib>

#include "doctor/checks.h"
#include "doctor/split.h"
#include "fmt/format.h"
#include "plugins/runtime/command.h"
#include "plugins/runtime/shim_binary.h"

namespace berth::doctor {

namespace {

// `name` in a $PATH directory, or "".
std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  for (std::string_view dir : SplitAny(path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin", ":")) {
    std::string candidate = fmt::format("{}/{}", dir, name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string VersionString(const Version& v) { return fmt::format("{}.{}.{}", v.major, v.minor, v.patch); }

Finding CheckRunc() {
  const std::string runc = FindOnPath("runc");
  if (runc.empty()) {
    return {.check = "runc", .status = Severity::kFail, .what = "runc is not on PATH: no container can start",
            .detail = fmt::format("PATH={}", std::getenv("PATH") != nullptr ? std::getenv("PATH") : ""),
            .fix = fmt::format("apt-get install runc (>= {})", VersionString(kMinimumRunc))};
  }
  absl::StatusOr<runtime::CommandResult> run = runtime::RunCommand(
      {.argv = {runc, "--version"}, .env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, .timeout = std::chrono::seconds(5)});
  if (!run.ok() || run->exit_code != 0) {
    return {.check = "runc", .status = Severity::kFail, .what = fmt::format("{} --version fails", runc),
            .detail = run.ok() ? fmt::format("exit {}: {}", run->exit_code, run->err)
                               : std::string(run.status().message()),
            .fix = "reinstall runc (apt-get install --reinstall runc)"};
  }
  absl::StatusOr<Version> version = ParseRuncVersion(run->out);
  if (!version.ok()) {
    return {.check = "runc", .status = Severity::kWarn, .what = fmt::format("cannot tell the version of {}", runc),
            .detail = std::string(version.status().message()),
            .fix = fmt::format("make sure {} is runc >= {}", runc, VersionString(kMinimumRunc))};
  }
  if (*version < kMinimumRunc) {
    return {.check = "runc", .status = Severity::kFail,
            .what = fmt::format("runc {} is older than {}", VersionString(*version), VersionString(kMinimumRunc)),
            .detail = runc,
            .fix = fmt::format("upgrade runc to >= {} (apt-get install runc from Debian 12 or later)",
                               VersionString(kMinimumRunc))};
  }
  return {.check = "runc", .status = Severity::kOk,
          .what = fmt::format("runc {} (>= {})", VersionString(*version), VersionString(kMinimumRunc)),
          .detail = runc};
}

Finding CheckShim(const std::string& runtime, bool required) {
  absl::StatusOr<std::string> binary = runtime::ResolveShimBinary(runtime);
  if (binary.ok()) {
    return {.check = "shims", .status = Severity::kOk, .what = fmt::format("{} runs {}", runtime, *binary)};
  }
  const std::string name = runtime::ShimBinaryName(runtime).value_or(runtime);
  return {.check = "shims", .status = required ? Severity::kFail : Severity::kWarn,
          .what = fmt::format("no {} for runtime {}{}", name, runtime,
                              required ? ": berth run and ctr run --runtime " + runtime + " fail"
                                       : " (only needed by containers that ask for it)"),
          .detail = std::string(binary.status().message()),
          .fix = required ? fmt::format("install {} on PATH or beside berthd", name)
                          : fmt::format("apt-get install containerd (it ships {})", name)};
}

}  // namespace

absl::StatusOr<Version> ParseRuncVersion(const std::string& output) {
  constexpr std::string_view kPrefix = "runc version ";
  std::string_view first = std::string_view(output).substr(0, output.find('\n'));
  if (!first.starts_with(kPrefix)) {
    return absl::InvalidArgumentError(fmt::format("not `runc version X.Y.Z`: {:.100}", first));
  }
  std::string_view v = first.substr(kPrefix.size());
  v = v.substr(0, v.find_first_not_of("0123456789."));  // 1.1.5+ds1, 1.2.0-rc.1
  std::vector<std::string_view> parts = SplitAny(v, ".");
  Version out;
  if (parts.size() < 2 || parts.size() > 3 || !ParseDecimal(parts[0], &out.major) ||
      !ParseDecimal(parts[1], &out.minor) || (parts.size() == 3 && !ParseDecimal(parts[2], &out.patch))) {
    return absl::InvalidArgumentError(fmt::format("not `runc version X.Y.Z`: {:.100}", first));
  }
  return out;
}

std::vector<Finding> CheckRuntimes() {
  return {CheckRunc(), CheckShim("io.containerd.berth.v1", true), CheckShim("io.containerd.runc.v2", false)};
}

}  // namespace berth::doctor
