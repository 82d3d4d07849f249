#include "services/introspection_service.h"

#include "filters/filter.h"
#include "services/convert.h"

namespace berth::services {

namespace api = containerd::services::introspection::v1;

grpc::Status IntrospectionService::Plugins(grpc::ServerContext*, const api::PluginsRequest* req,
                                           api::PluginsResponse* resp) {
  auto filter = filters::Filter::Parse(FromProto(req->filters()));
  if (!filter.ok()) return ToGrpc(filter.status());
  for (const PluginInfo& p : plugins_) {
    bool match = filter->Match([&](const std::vector<std::string>& path) -> std::optional<std::string> {
      if (path.empty()) return std::nullopt;
      if (path[0] == "type") return p.type;
      if (path[0] == "id") return p.id;
      if (path[0] == "capabilities" && path.size() == 1) {
        return p.capabilities.empty() ? std::nullopt : std::optional(p.capabilities.front());
      }
      return std::nullopt;
    });
    if (!match) continue;
    api::Plugin* out = resp->add_plugins();
    out->set_type(p.type);
    out->set_id(p.id);
    for (const auto& r : p.requires_) out->add_requires_(r);
    for (const auto& [k, v] : p.exports) (*out->mutable_exports())[k] = v;
    for (const auto& c : p.capabilities) out->add_capabilities(c);
    if (!p.init_error.ok()) {
      out->mutable_init_err()->set_code(static_cast<int>(p.init_error.code()));
      out->mutable_init_err()->set_message(std::string(p.init_error.message()));
    }
  }
  return grpc::Status::OK;
}

grpc::Status IntrospectionService::Server(grpc::ServerContext*, const google::protobuf::Empty*,
                                          api::ServerResponse* resp) {
  resp->set_uuid(uuid_);
  return grpc::Status::OK;
}

}  // namespace berth::services
