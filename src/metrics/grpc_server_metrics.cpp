#include "metrics/grpc_server_metrics.h"

#include <chrono>
#include <string>

#include "fmt/format.h"

namespace berth::metrics {

namespace {

struct GrpcServerMetrics {
  Family<Counter>* requests;
  Family<Histogram>* durations;
};

// One per call: made when the call arrives, records once when its status goes out.
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(const GrpcServerMetrics* metrics, std::string_view method)
      : metrics_(metrics), method_(method), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start_;
      metrics_->requests->With({method_, GrpcCodeName(methods->GetSendStatus().error_code())})->Inc();
      metrics_->durations->With({method_})->Observe(seconds.count());
    }
    methods->Proceed();
  }

 private:
  const GrpcServerMetrics* metrics_;
  std::string_view method_;  // owned by gRPC's method table, which outlives every call
  std::chrono::steady_clock::time_point start_;
};

class MetricsInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(Registry& registry)
      : metrics_{
            .requests = registry.AddCounterFamily("berth_grpc_requests_total",
                                                  "gRPC calls answered by the server, by method and status code.",
                                                  {"method", "code"}),
            .durations = registry.AddHistogramFamily("berth_grpc_request_duration_seconds",
                                                     "Time from a gRPC call's arrival to its status, by method.",
                                                     {"method"}, DefaultBuckets()),
        } {}

  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    // gRPC calls calls to unregistered methods through an unnamed handler: one bounded label for all of them.
    const char* method = info->method();
    return new MetricsInterceptor(&metrics_, method != nullptr && *method != '\0' ? method : "unknown");
  }

 private:
  GrpcServerMetrics metrics_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewGrpcServerMetricsFactory(
    Registry& registry) {
  return std::make_unique<MetricsInterceptorFactory>(registry);
}

std::string GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "Canceled";
    case grpc::StatusCode::UNKNOWN: return "Unknown";
    case grpc::StatusCode::INVALID_ARGUMENT: return "InvalidArgument";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DeadlineExceeded";
    case grpc::StatusCode::NOT_FOUND: return "NotFound";
    case grpc::StatusCode::ALREADY_EXISTS: return "AlreadyExists";
    case grpc::StatusCode::PERMISSION_DENIED: return "PermissionDenied";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "ResourceExhausted";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FailedPrecondition";
    case grpc::StatusCode::ABORTED: return "Aborted";
    case grpc::StatusCode::OUT_OF_RANGE: return "OutOfRange";
    case grpc::StatusCode::UNIMPLEMENTED: return "Unimplemented";
    case grpc::StatusCode::INTERNAL: return "Internal";
    case grpc::StatusCode::UNAVAILABLE: return "Unavailable";
    case grpc::StatusCode::DATA_LOSS: return "DataLoss";
    case grpc::StatusCode::UNAUTHENTICATED: return "Unauthenticated";
    default: return fmt::format("Code({})", static_cast<int>(code));
  }
}

}  // namespace berth::metrics
