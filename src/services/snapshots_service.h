// containerd.services.snapshots.v1.Snapshots over the snapshotters berthd runs (each a
// metadata::SnapshotStore), chosen per request by its `snapshotter` field as containerd does: an
// empty name is InvalidArgument ("snapshotter argument missing"), an unknown one InvalidArgument
// ("snapshotter not loaded: X").
#pragma once

#include <map>
#include <string>

#include "base/context.h"
#include "core/snapshots/snapshotter.h"
#include "events/exchange.h"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"

namespace berth::services {

class SnapshotsService final : public containerd::services::snapshots::v1::Snapshots::Service {
 public:
  // Name ("overlayfs", "native") → snapshotter; not owned, must outlive the service.
  explicit SnapshotsService(std::map<std::string, snapshots::Snapshotter*> snapshotters)
      : snapshotters_(std::move(snapshotters)) {}

  grpc::Status Prepare(grpc::ServerContext*,
                       const containerd::services::snapshots::v1::PrepareSnapshotRequest*,
                       containerd::services::snapshots::v1::PrepareSnapshotResponse*) override;
  grpc::Status View(grpc::ServerContext*,
                    const containerd::services::snapshots::v1::ViewSnapshotRequest*,
                    containerd::services::snapshots::v1::ViewSnapshotResponse*) override;
  grpc::Status Mounts(grpc::ServerContext*,
                      const containerd::services::snapshots::v1::MountsRequest*,
                      containerd::services::snapshots::v1::MountsResponse*) override;
  grpc::Status Commit(grpc::ServerContext*,
                      const containerd::services::snapshots::v1::CommitSnapshotRequest*,
                      google::protobuf::Empty*) override;
  grpc::Status Remove(grpc::ServerContext*,
                      const containerd::services::snapshots::v1::RemoveSnapshotRequest*,
                      google::protobuf::Empty*) override;
  grpc::Status Stat(grpc::ServerContext*,
                    const containerd::services::snapshots::v1::StatSnapshotRequest*,
                    containerd::services::snapshots::v1::StatSnapshotResponse*) override;
  grpc::Status Update(grpc::ServerContext*,
                      const containerd::services::snapshots::v1::UpdateSnapshotRequest*,
                      containerd::services::snapshots::v1::UpdateSnapshotResponse*) override;
  // Streams infos in batches of 100, as containerd.
  grpc::Status List(
      grpc::ServerContext*, const containerd::services::snapshots::v1::ListSnapshotsRequest*,
      grpc::ServerWriter<containerd::services::snapshots::v1::ListSnapshotsResponse>*) override;
  grpc::Status Usage(grpc::ServerContext*, const containerd::services::snapshots::v1::UsageRequest*,
                     containerd::services::snapshots::v1::UsageResponse*) override;
  grpc::Status Cleanup(grpc::ServerContext*,
                       const containerd::services::snapshots::v1::CleanupRequest*,
                       google::protobuf::Empty*) override;

  // Where /snapshot/* events go (containerd's topics); none are published until set.
  void set_events(events::Exchange* events) { events_ = events; }

 private:
  // A request's namespace and lease, and the snapshotter it names.
  struct Call {
    Context ctx;
    snapshots::Snapshotter* sn = nullptr;
  };
  absl::StatusOr<Call> Begin(const grpc::ServerContext& sc, const std::string& snapshotter) const;

  const std::map<std::string, snapshots::Snapshotter*> snapshotters_;
  events::Exchange* events_ = nullptr;
};

}  // namespace berth::services
