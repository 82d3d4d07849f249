// The crash-safe life cycle of snapshot directories named by id under one `snapshots/` directory, shared by
// the on-disk backends. The rule: the metastore commit decides; a directory no record owns is garbage, and
// no record ever points at a missing directory.
//   create:  the backend fills snapshots/new-XXXXXX, then within the creating write transaction renames it
//            to snapshots/<id>; a crash before the commit leaves only an unowned <id> or new-* directory.
//   remove:  within the removing write transaction snapshots/<id> is renamed to snapshots/rm-<id>; after the
//            commit it is deleted. A crash before the commit leaves a live record whose directory is rm-<id>;
//            RecoverRemovals (at Open) renames it back. A crash after the commit leaves an unowned rm-<id>.
#pragma once

#include <filesystem>
#include <functional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "plugins/snapshots/storage/metastore.h"

namespace berth::snapshots::storage {

inline constexpr std::string_view kNewPrefix = "new-";
inline constexpr std::string_view kRemovedPrefix = "rm-";

// Undoes removals whose transaction never committed (see above).
absl::Status RecoverRemovals(MetaStore& ms, const std::filesystem::path& snapshots_dir);

// Removes `key` from the metastore and its directory from disk, as described above. FailedPrecondition while
// it has children; NotFound if it does not exist.
absl::Status RemoveSnapshot(MetaStore& ms, const std::filesystem::path& snapshots_dir, const std::string& key);

// Deletes every entry of `snapshots_dir` that no record owns, except those `in_use` names (directories a
// backend is filling outside a transaction). Lists under the write lock, so a creation in flight (which holds
// it while its new-* directory exists) is never mistaken for garbage.
absl::Status CleanupDirs(MetaStore& ms, const std::filesystem::path& snapshots_dir,
                         const std::function<bool(const std::string& name)>& in_use);

}  // namespace berth::snapshots::storage
