// The containers table's value encoding (schema.md).
#include "absl/strings/escaping.h"
#include "fmt/format.h"
#include "metadata/container_store.h"
#include "nlohmann/json.hpp"

namespace berth::metadata {

namespace {

using nlohmann::json;

json AnyToJson(const containers::Any& any) {
  return json{{"type_url", any.type_url}, {"value", absl::Base64Escape(any.value)}};
}

containers::Any AnyFromJson(const json& j) {
  containers::Any any{.type_url = j.value("type_url", "")};
  if (!absl::Base64Unescape(j.value("value", ""), &any.value)) throw std::runtime_error("bad base64 in an Any");
  return any;
}

int64_t Nanos(absl::Time t) { return absl::ToUnixNanos(t); }

}  // namespace

std::string EncodeContainer(const containers::Container& c) {
  json j{{"id", c.id},
         {"image", c.image},
         {"runtime", {{"name", c.runtime.name}}},
         {"snapshotter", c.snapshotter},
         {"snapshot_key", c.snapshot_key},
         {"created_at", Nanos(c.created_at)},
         {"updated_at", Nanos(c.updated_at)}};
  if (!c.labels.empty()) j["labels"] = c.labels;
  if (c.runtime.options) j["runtime"]["options"] = AnyToJson(*c.runtime.options);
  if (c.spec) j["spec"] = AnyToJson(*c.spec);
  if (!c.extensions.empty()) {
    json ext = json::object();
    for (const auto& [k, v] : c.extensions) ext[k] = AnyToJson(v);
    j["extensions"] = ext;
  }
  return j.dump();
}

absl::StatusOr<containers::Container> DecodeContainer(std::string_view id, std::string_view value) {
  try {
    json j = json::parse(value);
    if (!j.is_object()) throw std::runtime_error("not a JSON object");
    containers::Container c;
    c.id = j.value("id", std::string(id));
    c.image = j.value("image", "");
    c.labels = j.value("labels", Labels{});
    if (auto rt = j.find("runtime"); rt != j.end()) {
      c.runtime.name = rt->value("name", "");
      if (auto o = rt->find("options"); o != rt->end()) c.runtime.options = AnyFromJson(*o);
    }
    if (auto s = j.find("spec"); s != j.end()) c.spec = AnyFromJson(*s);
    c.snapshotter = j.value("snapshotter", "");
    c.snapshot_key = j.value("snapshot_key", "");
    c.created_at = absl::FromUnixNanos(j.value("created_at", int64_t{0}));
    c.updated_at = absl::FromUnixNanos(j.value("updated_at", int64_t{0}));
    if (auto e = j.find("extensions"); e != j.end()) {
      for (const auto& [k, v] : e->items()) c.extensions[k] = AnyFromJson(v);
    }
    return c;
  } catch (const std::exception& e) {
    return absl::DataLossError(fmt::format("metadata: corrupt record for container \"{}\": {}", id, e.what()));
  }
}

}  // namespace berth::metadata
