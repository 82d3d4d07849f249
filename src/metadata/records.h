// Value encodings of the metadata tables (schema.md): one JSON object per record. Each record carries its own
// full name (keys may hold a hash of a long one; see keys.h); the name argument of Decode* is the fallback. JSON because the records are
// small, read by `mdb_dump` during incidents, and extended with new fields without a migration (unknown fields
// are ignored, missing ones take defaults). Times are int64 Unix nanoseconds. A record that does not decode is
// DataLoss naming the table and key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/labels.h"
#include "core/content/content.h"
#include "core/images/images.h"
#include "core/leases/leases.h"
#include "core/namespaces/namespaces.h"
#include "digest/digest.h"

namespace berth::metadata {

// An ingest as the metadata layer knows it: which backend ingest holds its bytes, and why it exists.
struct IngestRecord {
  std::string ref;                 // the client's ref, in full (keys may hold only its hash)
  std::string backend_ref;         // the ref of the ingest in the backend store
  std::optional<Digest> expected;  // the digest the writer promised, if any
  int64_t total = 0;
  std::string lease;               // the lease it was opened under, empty for none
  absl::Time started_at;
  // When gc may abort an unleased ingest (containerd: 24h after opening); InfiniteFuture when leased.
  absl::Time expire_at = absl::InfiniteFuture();
  // The blob already exists in the backend (shared from another namespace): no backend ingest was opened.
  bool shared = false;
};

std::string EncodeNamespace(const namespaces::Namespace& ns);
absl::StatusOr<namespaces::Namespace> DecodeNamespace(std::string_view name, std::string_view value);

std::string EncodeImage(const images::Image& image);
absl::StatusOr<images::Image> DecodeImage(std::string_view name, std::string_view value);

std::string EncodeLease(const leases::Lease& lease);
absl::StatusOr<leases::Lease> DecodeLease(std::string_view id, std::string_view value);

std::string EncodeBlob(const content::Info& info);
absl::StatusOr<content::Info> DecodeBlob(const Digest& digest, std::string_view value);

std::string EncodeIngest(const IngestRecord& ingest);
absl::StatusOr<IngestRecord> DecodeIngest(std::string_view ref, std::string_view value);

}  // namespace berth::metadata
