// One result of a `berth doctor` check: what was looked at, how it stands, the evidence, and what to do.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::doctor {

enum class Severity { kOk, kWarn, kFail };

// "ok", "warn", "fail" (the JSON and wire spelling).
std::string_view SeverityName(Severity s);

struct Finding {
  std::string check;  // berthd, overlay, userns, cgroups, runc, shims, headroom, mounts
  Severity status = Severity::kOk;
  std::string what;    // one line: what was found
  std::string detail;  // the evidence: paths, ids, versions, errors
  std::string fix;     // what to do about it; empty when nothing needs doing
};

// Whether any finding is a failure (berth doctor exits 1 then).
bool AnyFailed(const std::vector<Finding>& findings);

}  // namespace berth::doctor
