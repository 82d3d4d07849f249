// User-namespace id mappings: /proc/<pid>/uid_map and gid_map (user_namespaces(7)), and an OCI spec's
// linux.uidMappings / gidMappings, in one shape.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::doctor {

struct IdRange {
  uint32_t inside = 0;   // first id in the namespace (an OCI mapping's containerID)
  uint32_t outside = 0;  // first id in the parent namespace (an OCI mapping's hostID)
  uint32_t count = 0;
};
using IdMap = std::vector<IdRange>;

// "inside outside count" per line. InvalidArgument naming the line for anything else.
absl::StatusOr<IdMap> ParseIdMap(std::string_view text);
// NotFound/PermissionDenied naming the path when it cannot be read.
absl::StatusOr<IdMap> ReadIdMap(const std::string& path);

// The initial user namespace's map ("0 0 4294967295"): every id is itself.
bool IsInitialNamespace(const IdMap& map);
// Whether `id` lies in a range's inside (resp. outside) ids.
bool MapsInside(const IdMap& map, uint32_t id);
bool MapsOutside(const IdMap& map, uint32_t id);

// "0:100000:65536" per range, comma-separated (the notation of /etc/subuid and of runc's errors); "(empty)".
std::string FormatIdMap(const IdMap& map);

}  // namespace berth::doctor
