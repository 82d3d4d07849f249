#include "image_resolve.h"

#include "fmt/format.h"
#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/images/v1/images.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "oci/image.h"

namespace berth::cli {

namespace {

absl::Status FromGrpc(const grpc::Status& s, const std::string& what) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), fmt::format("{}: {}", what, s.error_message()));
}

absl::StatusOr<std::string> ReadBlob(const Globals& g, const std::string& digest) {
  auto stub = containerd::services::content::v1::Content::NewStub(Connect(g));
  containerd::services::content::v1::ReadContentRequest req;
  req.set_digest(digest);
  auto ctx = CallContext(g);
  auto stream = stub->Read(ctx.get(), req);
  std::string data;
  containerd::services::content::v1::ReadContentResponse chunk;
  while (stream->Read(&chunk)) {
    data += chunk.data();
    if (data.size() > static_cast<size_t>(oci::kMaxDocumentSize)) {
      return absl::FailedPreconditionError(fmt::format("blob {} is too large for a manifest or config", digest));
    }
  }
  grpc::Status s = stream->Finish();
  if (!s.ok()) return FromGrpc(s, "read " + digest);
  return data;
}

std::vector<std::string> Strings(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return {};
  return it->get<std::vector<std::string>>();
}

}  // namespace

absl::StatusOr<ResolvedImage> ResolveImage(const Globals& g, const std::string& name) {
  auto images = containerd::services::images::v1::Images::NewStub(Connect(g));
  containerd::services::images::v1::GetImageRequest req;
  req.set_name(name);
  containerd::services::images::v1::GetImageResponse resp;
  grpc::Status s = images->Get(CallContext(g).get(), req, &resp);
  if (!s.ok()) return FromGrpc(s, "image " + name + " (berth pull it first)");
  std::string digest = resp.image().target().digest();
  auto blob = ReadBlob(g, digest);
  if (!blob.ok()) return blob.status();
  if (oci::IsIndex(resp.image().target().media_type())) {
    auto index = oci::ParseIndex(*blob);
    if (!index.ok()) return index.status();
    auto entry = oci::SelectManifest(*index, oci::Platform::Host());
    if (!entry.ok()) return entry.status();
    digest = entry->descriptor.digest.str();
    blob = ReadBlob(g, digest);
    if (!blob.ok()) return blob.status();
  }
  auto manifest = oci::ParseManifest(*blob);
  if (!manifest.ok()) return manifest.status();
  auto config_json = ReadBlob(g, manifest->config.digest.str());
  if (!config_json.ok()) return config_json.status();
  auto config = oci::ParseImageConfig(*config_json);
  if (!config.ok()) return config.status();
  if (config->diff_ids.empty()) return absl::FailedPreconditionError(fmt::format("image {} has no layers", name));
  ResolvedImage out{.name = name, .chain_id = oci::ChainIds(config->diff_ids).back().str()};
  try {
    auto j = nlohmann::json::parse(*config_json);
    if (auto c = j.find("config"); c != j.end() && c->is_object()) {
      out.env = Strings(*c, "Env");
      out.entrypoint = Strings(*c, "Entrypoint");
      out.cmd = Strings(*c, "Cmd");
      out.working_dir = c->value("WorkingDir", "");
      out.user = c->value("User", "");
      out.stop_signal = c->value("StopSignal", "");
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(fmt::format("image {}: config: {}", name, e.what()));
  }
  return out;
}

}  // namespace berth::cli
