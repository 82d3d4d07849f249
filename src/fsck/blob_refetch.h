// Refetches a damaged or missing blob from where it was pulled: containerd's distribution source labels
// (containerd.io/distribution.source.<host without port> = repositories) name host and repositories; the
// registry keys berthd knows (image names, the `registries` config) give back the port.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/labels.h"
#include "digest/digest.h"
#include "plugins/content/local/local_store.h"
#include "plugins/remotes/reference.h"
#include "plugins/remotes/registry.h"

namespace berth::fsck {

// The references a blob with `labels` can be fetched from, given the registry keys ("host:port") known.
std::vector<remotes::Reference> BlobSources(const Labels& labels, const std::set<std::string>& registries);

// Downloads `digest` from the first source that serves it, verifies it, and swaps it in for the blob on disk
// (a damaged one is deleted only once the verified bytes wait in an ingest, so a failed refetch leaves the old
// file). Error names the digest and every source tried.
absl::Status RefetchBlob(remotes::Registry& registry, content::LocalStore& blobs, const Digest& digest, int64_t size,
                         const std::vector<remotes::Reference>& sources, const remotes::RequestOptions& options);

}  // namespace berth::fsck
