// berth.services.gc.v1.GC: garbage collection on demand (berth's own service; containerd has none).
#pragma once

#include <functional>

#include "absl/status/statusor.h"
#include "berth/services/gc/v1/gc.grpc.pb.h"
#include "gc/stats.h"

namespace berth::services {

class GcService final : public berth::services::gc::v1::GC::Service {
 public:
  // `collect(dry_run, progress)` runs one collection (metadata::GarbageCollector::Run in berthd).
  using CollectFn = std::function<absl::StatusOr<berth::gc::Stats>(
      bool dry_run, const berth::gc::ProgressFn& progress)>;
  explicit GcService(CollectFn collect) : collect_(std::move(collect)) {}

  grpc::Status Collect(grpc::ServerContext*, const berth::services::gc::v1::CollectRequest* req,
                       berth::services::gc::v1::CollectResponse* resp) override;
  grpc::Status CollectWithProgress(
      grpc::ServerContext*, const berth::services::gc::v1::CollectRequest* req,
      grpc::ServerWriter<berth::services::gc::v1::CollectEvent>* writer) override;

 private:
  CollectFn collect_;
};

}  // namespace berth::services
