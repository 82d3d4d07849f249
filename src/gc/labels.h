// The labels through which clients steer garbage collection (containerd's metadata/gc.go): which
// objects are roots, what an object references, when a lease expires. Pure functions over labels.
#pragma once

#include <functional>
#include <string_view>

#include "absl/time/time.h"
#include "base/labels.h"
#include "gc/node.h"

namespace berth::gc {

// Any object carrying this label (any value) is a root.
inline constexpr std::string_view kLabelRoot = "containerd.io/gc.root";
// "containerd.io/gc.ref.content" or ".../gc.ref.content.<anything>" (or "/<anything>"): value is a
// digest.
inline constexpr std::string_view kLabelContentRef = "containerd.io/gc.ref.content";
// "containerd.io/gc.ref.snapshot.<snapshotter>[/<anything>]": value is a snapshot key of that
// snapshotter.
inline constexpr std::string_view kLabelSnapshotRef = "containerd.io/gc.ref.snapshot.";
// On a lease: RFC 3339 time after which the lease no longer protects anything and is itself
// collected.
inline constexpr std::string_view kLabelExpire = "containerd.io/gc.expire";

// Emits the content and snapshot nodes (in namespace `ns`) that `labels` reference.
void LabelReferences(std::string_view ns, const Labels& labels,
                     const std::function<void(Node)>& emit);

bool IsRootLabelled(const Labels& labels);

// Whether a lease with `labels` has expired at `now`. An expiry that does not parse is ignored (the
// lease stays valid), as containerd does: dropping what a client holds on a typo would be worse
// than keeping it.
bool LeaseExpired(const Labels& labels, absl::Time now);

}  // namespace berth::gc
