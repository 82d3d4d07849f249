#include "metadata/records.h"

#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace berth::metadata {

namespace {

using nlohmann::json;

int64_t TimeToJson(absl::Time t) {
  if (t == absl::InfiniteFuture()) return INT64_MAX;
  return absl::ToUnixNanos(t);
}

absl::Time TimeFromJson(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end()) return absl::UnixEpoch();
  int64_t nanos = it->get<int64_t>();
  return nanos == INT64_MAX ? absl::InfiniteFuture() : absl::FromUnixNanos(nanos);
}

Labels LabelsFromJson(const json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end()) return {};
  return it->get<Labels>();
}

// Parses `value` and runs `fill` over it, turning every JSON error into DataLoss naming the record.
template <typename T, typename Fill>
absl::StatusOr<T> Decode(std::string_view what, std::string_view value, Fill fill) {
  try {
    json j = json::parse(value);
    if (!j.is_object()) throw std::runtime_error("not a JSON object");
    T out;
    fill(j, out);
    return out;
  } catch (const std::exception& e) {
    return absl::DataLossError(fmt::format("metadata: corrupt record for {}: {}", what, e.what()));
  }
}

}  // namespace

std::string EncodeNamespace(const namespaces::Namespace& ns) { return json{{"labels", ns.labels}}.dump(); }

absl::StatusOr<namespaces::Namespace> DecodeNamespace(std::string_view name, std::string_view value) {
  return Decode<namespaces::Namespace>(fmt::format("namespace \"{}\"", name), value,
                                       [&](const json& j, namespaces::Namespace& ns) {
                                         ns.name = std::string(name);
                                         ns.labels = LabelsFromJson(j, "labels");
                                       });
}

std::string EncodeImage(const images::Image& image) {
  json target{{"media_type", image.target.media_type},
              {"digest", image.target.digest.str()},
              {"size", image.target.size}};
  if (!image.target.annotations.empty()) target["annotations"] = image.target.annotations;
  json j{{"name", image.name},
         {"target", std::move(target)},
         {"created_at", TimeToJson(image.created_at)},
         {"updated_at", TimeToJson(image.updated_at)}};
  if (!image.labels.empty()) j["labels"] = image.labels;
  return j.dump();
}

absl::StatusOr<images::Image> DecodeImage(std::string_view name, std::string_view value) {
  return Decode<images::Image>(fmt::format("image \"{}\"", name), value, [&](const json& j, images::Image& image) {
    image.name = j.value("name", std::string(name));
    image.labels = LabelsFromJson(j, "labels");
    const json& t = j.at("target");
    image.target.media_type = t.at("media_type").get<std::string>();
    absl::StatusOr<Digest> d = Digest::Parse(t.at("digest").get<std::string>());
    if (!d.ok()) throw std::runtime_error(std::string(d.status().message()));
    image.target.digest = *d;
    image.target.size = t.at("size").get<int64_t>();
    image.target.annotations = LabelsFromJson(t, "annotations");
    image.created_at = TimeFromJson(j, "created_at");
    image.updated_at = TimeFromJson(j, "updated_at");
  });
}

std::string EncodeLease(const leases::Lease& lease) {
  json j{{"id", lease.id}, {"created_at", TimeToJson(lease.created_at)}};
  if (!lease.labels.empty()) j["labels"] = lease.labels;
  return j.dump();
}

absl::StatusOr<leases::Lease> DecodeLease(std::string_view id, std::string_view value) {
  return Decode<leases::Lease>(fmt::format("lease \"{}\"", id), value, [&](const json& j, leases::Lease& lease) {
    lease.id = j.value("id", std::string(id));
    lease.created_at = TimeFromJson(j, "created_at");
    lease.labels = LabelsFromJson(j, "labels");
  });
}

std::string EncodeBlob(const content::Info& info) {
  json j{{"size", info.size},
         {"created_at", TimeToJson(info.created_at)},
         {"updated_at", TimeToJson(info.updated_at)}};
  if (!info.labels.empty()) j["labels"] = info.labels;
  return j.dump();
}

absl::StatusOr<content::Info> DecodeBlob(const Digest& digest, std::string_view value) {
  return Decode<content::Info>(fmt::format("content {}", digest.str()), value,
                               [&](const json& j, content::Info& info) {
                                 info.digest = digest;
                                 info.size = j.at("size").get<int64_t>();
                                 info.created_at = TimeFromJson(j, "created_at");
                                 info.updated_at = TimeFromJson(j, "updated_at");
                                 info.labels = LabelsFromJson(j, "labels");
                               });
}

std::string EncodeIngest(const IngestRecord& ingest) {
  json j{{"ref", ingest.ref},
         {"backend_ref", ingest.backend_ref},
         {"total", ingest.total},
         {"started_at", TimeToJson(ingest.started_at)},
         {"expire_at", TimeToJson(ingest.expire_at)}};
  if (ingest.expected.has_value()) j["expected"] = ingest.expected->str();
  if (!ingest.lease.empty()) j["lease"] = ingest.lease;
  if (ingest.shared) j["shared"] = true;
  return j.dump();
}

absl::StatusOr<IngestRecord> DecodeIngest(std::string_view ref, std::string_view value) {
  return Decode<IngestRecord>(fmt::format("ingest \"{}\"", ref), value, [&](const json& j, IngestRecord& in) {
    in.ref = j.value("ref", std::string(ref));
    in.backend_ref = j.at("backend_ref").get<std::string>();
    in.total = j.value("total", int64_t{0});
    in.started_at = TimeFromJson(j, "started_at");
    in.expire_at = j.contains("expire_at") ? TimeFromJson(j, "expire_at") : absl::InfiniteFuture();
    if (auto it = j.find("expected"); it != j.end()) {
      absl::StatusOr<Digest> d = Digest::Parse(it->get<std::string>());
      if (!d.ok()) throw std::runtime_error(std::string(d.status().message()));
      in.expected = *d;
    }
    in.lease = j.value("lease", std::string());
    in.shared = j.value("shared", false);
  });
}

}  // namespace berth::metadata
