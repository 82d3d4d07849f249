#include "attach.h"

#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <future>
#include <optional>

#include "fmt/format.h"
#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"

namespace berth::cli {

namespace {

namespace tasksapi = containerd::services::tasks::v1;

absl::Status FromGrpc(const grpc::Status& s, const std::string& what) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), fmt::format("{}: {}", what, s.error_message()));
}

// Raw mode on our terminal for the life of the object.
class RawTerminal {
 public:
  RawTerminal() {
    if (::isatty(STDIN_FILENO) != 1 || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }

 private:
  struct termios saved_ {};
  bool active_ = false;
};

}  // namespace

absl::StatusOr<uint32_t> StartAndWait(const Globals& g, const std::string& container_id, const std::string& exec_id,
                                      Stdio& stdio, bool terminal) {
  auto stub = tasksapi::Tasks::NewStub(Connect(g));
  std::optional<RawTerminal> raw;
  if (terminal) raw.emplace();
  // Wait first, so an exit right after Start is not missed (Wait also answers after the exit).
  auto wait_ctx = std::make_unique<grpc::ClientContext>();
  wait_ctx->AddMetadata("containerd-namespace", g.ns);
  std::future<std::pair<grpc::Status, tasksapi::WaitResponse>> waited = std::async(std::launch::async, [&] {
    tasksapi::WaitRequest req;
    req.set_container_id(container_id);
    req.set_exec_id(exec_id);
    tasksapi::WaitResponse resp;
    grpc::Status s = stub->Wait(wait_ctx.get(), req, &resp);
    return std::make_pair(s, resp);
  });
  stdio.Start([&g, container_id, exec_id] {
    auto stub = tasksapi::Tasks::NewStub(Connect(g));
    tasksapi::CloseIORequest req;
    req.set_container_id(container_id);
    req.set_exec_id(exec_id);
    req.set_stdin(true);
    google::protobuf::Empty empty;
    (void)stub->CloseIO(CallContext(g).get(), req, &empty);
  });
  tasksapi::StartRequest start;
  start.set_container_id(container_id);
  start.set_exec_id(exec_id);
  tasksapi::StartResponse started;
  grpc::Status s = stub->Start(CallContext(g).get(), start, &started);
  if (!s.ok()) {
    wait_ctx->TryCancel();
    waited.wait();
    return FromGrpc(s, "start " + container_id);
  }
  struct winsize ws {};
  if (terminal && ::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    tasksapi::ResizePtyRequest resize;
    resize.set_container_id(container_id);
    resize.set_exec_id(exec_id);
    resize.set_width(ws.ws_col);
    resize.set_height(ws.ws_row);
    google::protobuf::Empty empty;
    (void)stub->ResizePty(CallContext(g).get(), resize, &empty);
  }
  auto [wait_status, wait_response] = waited.get();
  stdio.Finish();
  if (!wait_status.ok()) return FromGrpc(wait_status, "wait for " + container_id);
  return wait_response.exit_status();
}

}  // namespace berth::cli
