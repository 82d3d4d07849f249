// What every berth verb needs: a channel to berthd and a call context carrying the namespace.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace berth::cli {

struct Globals {
  std::string address = "/run/berth/berthd.sock";
  std::string ns = "default";
};

inline std::shared_ptr<grpc::Channel> Connect(const Globals& g) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  return grpc::CreateCustomChannel("unix:" + g.address, grpc::InsecureChannelCredentials(), args);
}

inline std::unique_ptr<grpc::ClientContext> CallContext(const Globals& g) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("containerd-namespace", g.ns);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ctx;
}

// Prints "berth: <what>: <message>" and returns exit code 1.
int Fail(const std::string& what, const grpc::Status& s);

}  // namespace berth::cli
