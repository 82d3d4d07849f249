#include "metrics/grpc_server_metrics.h"

#include <chrono>
#include <iterator>
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

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewGrpcServerMetricsFactory(Registry& registry) {
  return std::make_unique<MetricsInterceptorFactory>(registry);
}

std::string GrpcCodeName(grpc::StatusCode code) {
  // Indexed by the code's number (0 OK … 16 UNAUTHENTICATED), as google.golang.org/grpc/codes spells them.
  static constexpr std::string_view kNames[] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  int number = static_cast<int>(code);
  if (number >= 0 && number < static_cast<int>(std::size(kNames))) return std::string(kNames[number]);
  return fmt::format("Code({})", number);
}

}  // namespace berth::metrics
