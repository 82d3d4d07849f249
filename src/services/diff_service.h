// containerd.services.diff.v1.Diff over a diff::Applier and a diff::Comparer (plugins/diff in berthd).
#pragma once

#include "github.com/containerd/containerd/api/services/diff/v1/diff.grpc.pb.h"
#include "plugins/diff/diff.h"

namespace berth::services {

class DiffService final : public containerd::services::diff::v1::Diff::Service {
 public:
  // Neither is owned; a null comparer answers Diff with Unimplemented.
  DiffService(diff::Applier* applier, diff::Comparer* comparer) : applier_(applier), comparer_(comparer) {}

  grpc::Status Apply(grpc::ServerContext*, const containerd::services::diff::v1::ApplyRequest*,
                     containerd::services::diff::v1::ApplyResponse*) override;
  grpc::Status Diff(grpc::ServerContext*, const containerd::services::diff::v1::DiffRequest*,
                    containerd::services::diff::v1::DiffResponse*) override;

 private:
  diff::Applier* applier_;
  diff::Comparer* comparer_;
};

}  // namespace berth::services
