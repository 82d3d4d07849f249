// The fields of a snapshot's Info that containerd's filters see (as containerd's adaptSnapshot): kind in lower
// case, name, parent and labels.<key>. Used by every Snapshotter's Walk.
#pragma once

#include "core/snapshots/snapshotter.h"
#include "filters/filter.h"

namespace berth::snapshots {

// The adaptor refers to `info`, which must outlive it.
filters::Adaptor AdaptInfo(const Info& info);

}  // namespace berth::snapshots
