// berth doctor: checks what breaks container runtimes on this host — overlayfs, user-namespace mappings against
// the owners of snapshot dirs, cgroups, runc and the shims, disk and inode headroom, mounts left by dead tasks —
// and says for each finding how to fix it. berthd runs it (berth.services.doctor.v1.Doctor); the CLI runs it
// itself when berthd is down, which is often when someone runs doctor.
//
// Reads only, except the overlay check's probe mount in a temp dir under the snapshotter dir (removed again).
#pragma once

#include <string>
#include <vector>

#include "doctor/checks.h"
#include "doctor/finding.h"
#include "doctor/leftover_mounts.h"

namespace berth::doctor {

struct DoctorOptions {
  LeftoverScope scope;                 // root, state, and whether a berthd serves them
  std::string process = "berthd";      // who runs the checks, as findings name it
  ReclaimableBytes reclaimable;        // what `berth gc` would free; empty when unknown (no daemon)
};

// Every check, in a fixed order (overlay, userns, cgroups, runc, shims, headroom, mounts).
std::vector<Finding> RunChecks(const DoctorOptions& options);

// Whether a berthd holds the lock on `root` (<root>/berthd.lock), i.e. runs on it even if its socket is elsewhere.
bool DaemonHoldsRoot(const std::string& root);

}  // namespace berth::doctor
