// Per-method gRPC server metrics, recorded by an interceptor on every call (unary and streaming alike):
//   berth_grpc_requests_total{method,code}         calls answered, by full method name and status code name
//   berth_grpc_request_duration_seconds{method}    from the call's arrival to its status being sent
// method is the full name ("/containerd.services.content.v1.Content/Info"); code is the gRPC code name as Go
// spells it ("OK", "NotFound", "Canceled"), so dashboards written for go-grpc-prometheus read the same.
//
//   builder.experimental().SetInterceptorCreators(...push_back(metrics::NewGrpcServerMetricsFactory(registry)));
#pragma once

#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/status_code_enum.h>

#include <memory>
#include <string_view>

#include "metrics/registry.h"

namespace berth::metrics {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewGrpcServerMetricsFactory(Registry& registry);

// "OK", "Canceled", … "Unauthenticated"; "Code(N)" for a number outside the enum.
std::string GrpcCodeName(grpc::StatusCode code);

}  // namespace berth::metrics
