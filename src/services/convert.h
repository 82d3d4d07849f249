// The one place where domain values become wire values and back: absl::Status ⇄ grpc::Status, absl::Time ⇄
// google.protobuf.Timestamp, labels ⇄ proto maps, descriptors, and the request Context from gRPC metadata.
#pragma once

#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/map.h>
#include <google/protobuf/timestamp.pb.h>
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/context.h"
#include "base/labels.h"
#include "digest/digest.h"
#include "github.com/containerd/containerd/api/types/descriptor.pb.h"
#include "oci/descriptor.h"

namespace berth::services {

grpc::Status ToGrpc(const absl::Status& s);

// Go's zero time (0001-01-01T00:00:00Z), which ctr sends for "unset", and absl::InfinitePast() both mean unset.
absl::Time FromProto(const google::protobuf::Timestamp& ts);
void ToProto(absl::Time t, google::protobuf::Timestamp* out);

Labels FromProto(const google::protobuf::Map<std::string, std::string>& m);
void ToProto(const Labels& labels, google::protobuf::Map<std::string, std::string>* out);

std::vector<std::string> FromProto(const google::protobuf::FieldMask& mask);
std::vector<std::string> FromProto(const google::protobuf::RepeatedPtrField<std::string>& list);

absl::StatusOr<Digest> ParseDigest(const std::string& s);
absl::StatusOr<oci::Descriptor> FromProto(const containerd::types::Descriptor& d);
void ToProto(const oci::Descriptor& d, containerd::types::Descriptor* out);

// Namespace (`containerd-namespace`), lease (`containerd-lease`), deadline and cancellation of a call.
Context ContextFrom(const grpc::ServerContext& server_context);
// Like ContextFrom, but InvalidArgument when the call names no namespace (every namespaced service needs one).
absl::StatusOr<Context> NamespacedContextFrom(const grpc::ServerContext& server_context);

}  // namespace berth::services
