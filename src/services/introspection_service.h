// containerd.services.introspection.v1.Introspection: which plugins this daemon runs, and its stable UUID.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/labels.h"
#include "github.com/containerd/containerd/api/services/introspection/v1/introspection.grpc.pb.h"

namespace berth::services {

// What `ctr plugins ls` shows for one plugin; the server's plugin list fills these in init order.
struct PluginInfo {
  std::string type;  // e.g. io.containerd.content.v1
  std::string id;    // e.g. content
  std::vector<std::string> requires_;
  std::map<std::string, std::string> exports;  // e.g. {"root": "/var/lib/berth/content"}
  std::vector<std::string> capabilities;
  absl::Status init_error;  // non-OK: shown as error (or skip when the message says "skip plugin")
};

class IntrospectionService final : public containerd::services::introspection::v1::Introspection::Service {
 public:
  IntrospectionService(std::vector<PluginInfo> plugins, std::string uuid)
      : plugins_(std::move(plugins)), uuid_(std::move(uuid)) {}

  grpc::Status Plugins(grpc::ServerContext*, const containerd::services::introspection::v1::PluginsRequest* req,
                       containerd::services::introspection::v1::PluginsResponse* resp) override;
  grpc::Status Server(grpc::ServerContext*, const google::protobuf::Empty*,
                      containerd::services::introspection::v1::ServerResponse* resp) override;

 private:
  std::vector<PluginInfo> plugins_;
  std::string uuid_;
};

}  // namespace berth::services
