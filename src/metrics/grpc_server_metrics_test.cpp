// The interceptor on a real in-process gRPC server, serving a raw-bytes service (no protos needed).
#include "metrics/grpc_server_metrics.h"

#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/method_handler.h>
#include <gtest/gtest.h>

#include <future>
#include <string>

namespace berth::metrics {
namespace {

using ::testing::HasSubstr;

constexpr char kCheck[] = "/test.Probe/Check";

// One unary method, as generated code registers it: answers OK, or NotFound when the request says "missing".
class ProbeService final : public grpc::Service {
 public:
  ProbeService() {
    using Handler = grpc::internal::RpcMethodHandler<ProbeService, grpc::ByteBuffer, grpc::ByteBuffer>;
    AddMethod(new grpc::internal::RpcServiceMethod(
        kCheck, grpc::internal::RpcMethod::NORMAL_RPC,
        new Handler(
            [](ProbeService*, grpc::ServerContext*, const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
              grpc::Slice empty("");
              *response = grpc::ByteBuffer(&empty, 1);  // a default ByteBuffer is not a message
              std::vector<grpc::Slice> slices;
              (void)request->Dump(&slices);
              std::string text;
              for (const auto& slice : slices) text.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
              return text == "missing" ? grpc::Status(grpc::StatusCode::NOT_FOUND, "no such thing") : grpc::Status::OK;
            },
            this)));
  }
};

class GrpcServerMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
    interceptors.push_back(NewGrpcServerMetricsFactory(registry_));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = std::make_unique<grpc::GenericStub>(server_->InProcessChannel(grpc::ChannelArguments()));
  }
  void TearDown() override { server_->Shutdown(); }

  // A unary call with `request` as the serialized message; returns its status code.
  grpc::StatusCode Call(const std::string& method, const std::string& request) {
    grpc::Slice slice(request);
    grpc::ByteBuffer in(&slice, 1), out;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    std::promise<grpc::Status> done;
    stub_->UnaryCall(&context, method, grpc::StubOptions(), &in, &out,
                     [&](grpc::Status status) { done.set_value(std::move(status)); });
    return done.get_future().get().error_code();
  }

  Registry registry_;
  ProbeService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::GenericStub> stub_;
};

TEST_F(GrpcServerMetricsTest, CountsEachCallByMethodAndCodeAndTimesIt) {
  EXPECT_EQ(Call(kCheck, ""), grpc::StatusCode::OK);
  EXPECT_EQ(Call(kCheck, ""), grpc::StatusCode::OK);
  EXPECT_EQ(Call(kCheck, "missing"), grpc::StatusCode::NOT_FOUND);

  std::string text = registry_.Render();
  EXPECT_THAT(text, HasSubstr("berth_grpc_requests_total{method=\"/test.Probe/Check\",code=\"OK\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("berth_grpc_requests_total{method=\"/test.Probe/Check\",code=\"NotFound\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("berth_grpc_request_duration_seconds_count{method=\"/test.Probe/Check\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE berth_grpc_request_duration_seconds histogram\n"));
}

TEST_F(GrpcServerMetricsTest, UnregisteredMethodsShareOneBoundedLabel) {
  EXPECT_EQ(Call("/no.such.Service/Method", ""), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(Call("/another.Made.Up/Name", ""), grpc::StatusCode::UNIMPLEMENTED);
  std::string text = registry_.Render();
  EXPECT_THAT(text, ::testing::Not(HasSubstr("no.such.Service")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("another.Made.Up")));
  EXPECT_THAT(text, HasSubstr("berth_grpc_requests_total{method=\"unknown\",code=\"Unimplemented\"} 2\n"));
}

TEST(GrpcCodeNameTest, SpelledAsGoSpellsThem) {
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::CANCELLED), "Canceled");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::NOT_FOUND), "NotFound");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::FAILED_PRECONDITION), "FailedPrecondition");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::UNAUTHENTICATED), "Unauthenticated");
  EXPECT_EQ(GrpcCodeName(static_cast<grpc::StatusCode>(42)), "Code(42)");
}

}  // namespace
}  // namespace berth::metrics
