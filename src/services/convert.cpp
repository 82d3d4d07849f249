#include "services/convert.h"

#include "core/namespaces/namespaces.h"

namespace berth::services {

namespace {
// 0001-01-01T00:00:00Z in Unix seconds: what Go's zero time.Time marshals to.
constexpr int64_t kGoZeroTimeSeconds = -62135596800;

std::string Metadata(const grpc::ServerContext& sc, const char* key) {
  const auto& md = sc.client_metadata();
  auto it = md.find(key);
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}
}  // namespace

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  // absl codes are gRPC codes by definition.
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() <= kGoZeroTimeSeconds || (ts.seconds() == 0 && ts.nanos() == 0)) {
    return absl::InfinitePast();
  }
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

void ToProto(absl::Time t, google::protobuf::Timestamp* out) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return;  // unset: leave the field empty
  int64_t ns = absl::ToUnixNanos(t);
  int64_t sec = ns / 1000000000;
  int64_t rem = ns % 1000000000;
  if (rem < 0) {
    rem += 1000000000;
    --sec;
  }
  out->set_seconds(sec);
  out->set_nanos(static_cast<int32_t>(rem));
}

Labels FromProto(const google::protobuf::Map<std::string, std::string>& m) {
  return Labels(m.begin(), m.end());
}

void ToProto(const Labels& labels, google::protobuf::Map<std::string, std::string>* out) {
  for (const auto& [k, v] : labels) (*out)[k] = v;
}

std::vector<std::string> FromProto(const google::protobuf::FieldMask& mask) {
  return {mask.paths().begin(), mask.paths().end()};
}

std::vector<std::string> FromProto(const google::protobuf::RepeatedPtrField<std::string>& list) {
  return {list.begin(), list.end()};
}

absl::StatusOr<Digest> ParseDigest(const std::string& s) { return Digest::Parse(s); }

absl::StatusOr<oci::Descriptor> FromProto(const containerd::types::Descriptor& d) {
  oci::Descriptor out;
  out.media_type = d.media_type();
  if (!d.digest().empty()) {
    auto digest = Digest::Parse(d.digest());
    if (!digest.ok()) return digest.status();
    out.digest = *digest;
  }
  out.size = d.size();
  out.annotations = {d.annotations().begin(), d.annotations().end()};
  return out;
}

void ToProto(const oci::Descriptor& d, containerd::types::Descriptor* out) {
  out->set_media_type(d.media_type);
  out->set_digest(d.digest.str());
  out->set_size(d.size);
  for (const auto& [k, v] : d.annotations) (*out->mutable_annotations())[k] = v;
}

Context ContextFrom(const grpc::ServerContext& sc) {
  Context ctx;
  ctx.ns = Metadata(sc, "containerd-namespace");
  ctx.lease = Metadata(sc, "containerd-lease");
  gpr_timespec deadline = gpr_convert_clock_type(sc.raw_deadline(), GPR_CLOCK_REALTIME);
  if (gpr_time_cmp(deadline, gpr_inf_future(GPR_CLOCK_REALTIME)) != 0) {
    ctx.deadline = absl::FromUnixSeconds(deadline.tv_sec) + absl::Nanoseconds(deadline.tv_nsec);
  }
  ctx.is_cancelled = [&sc] { return sc.IsCancelled(); };
  return ctx;
}

absl::StatusOr<Context> NamespacedContextFrom(const grpc::ServerContext& sc) {
  Context ctx = ContextFrom(sc);
  if (ctx.ns.empty()) {
    return absl::FailedPreconditionError("namespace is required: set the containerd-namespace header");
  }
  if (absl::Status s = namespaces::ValidateName(ctx.ns); !s.ok()) return s;
  return ctx;
}

}  // namespace berth::services
