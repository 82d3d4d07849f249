// berth run [--rm] [-d] [-t] [-i] [--name N] [--pull missing|always|never] [--plain-http] [--memory M] IMAGE [CMD...]:
// create a container from an unpacked image (pulled first if missing; its snapshot, containerd's default spec,
// runtime io.containerd.berth.v1) and run its task, attached unless -d. In the foreground without -t, the signals
// berth receives go to the task (signal_proxy.h). Exits with the process's status (128+n after signal n).
#include <cstdio>
#include <optional>
#include <random>

#include "absl/time/time.h"
#include "attach.h"
#include "base/status.h"
#include "default_spec.h"
#include "fmt/format.h"
#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/leases/v1/leases.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"
#include "image_resolve.h"
#include "pull_image.h"
#include "signal_proxy.h"
#include "stdio.h"
#include "verbs.h"

namespace berth::cli {

namespace {

namespace tasksapi = containerd::services::tasks::v1;
namespace snapapi = containerd::services::snapshots::v1;
namespace ctrapi = containerd::services::containers::v1;
namespace leaseapi = containerd::services::leases::v1;

struct RunOptions {
  bool rm = false, detach = false, tty = false, interactive = false;
  std::string name, image, runtime = "io.containerd.berth.v1", snapshotter = "overlayfs";
  std::string pull = "missing";  // missing, always, never (as nerdctl)
  bool plain_http = false;
  std::string memory;  // "64m", "1g", bytes; "": no limit
  std::vector<std::string> args;
};

// docker's RAMInBytes: a number with an optional b, k, m, g, t suffix (binary units). InvalidArgument otherwise.
absl::StatusOr<int64_t> ParseMemory(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  if (!unit.empty() && (unit.back() == 'b' || unit.back() == 'B') && unit.size() == 2) unit.pop_back();
  int shift = -1;
  if (unit.empty() || unit == "b" || unit == "B") shift = 0;
  if (unit == "k" || unit == "K") shift = 10;
  if (unit == "m" || unit == "M") shift = 20;
  if (unit == "g" || unit == "G") shift = 30;
  if (unit == "t" || unit == "T") shift = 40;
  if (used == 0 || shift < 0 || value <= 0 || value * static_cast<double>(int64_t{1} << shift) > 9.0e18) {
    return absl::InvalidArgumentError(fmt::format("--memory {}: not a size (e.g. 64m, 1g)", text));
  }
  return static_cast<int64_t>(value * static_cast<double>(int64_t{1} << shift));
}

// The image to run, pulled first as --pull says. Pull progress goes to stderr: stdout is the container's.
absl::StatusOr<ResolvedImage> ImageToRun(const Globals& g, const RunOptions& o) {
  if (o.pull != "missing" && o.pull != "always" && o.pull != "never") {
    return absl::InvalidArgumentError(fmt::format("--pull {}: must be missing, always or never", o.pull));
  }
  if (o.pull != "always") {
    absl::StatusOr<ResolvedImage> image = ResolveImage(g, o.image);
    if (image.ok() || !absl::IsNotFound(image.status()) || o.pull == "never") return image;
  }
  absl::StatusOr<PulledImage> pulled =
      PullImage(g, {.ref = o.image, .plain_http = o.plain_http, .snapshotter = o.snapshotter}, stderr);
  if (!pulled.ok()) return WithContext(pulled.status(), "pull " + o.image);
  return ResolveImage(g, pulled->name);
}

std::string RandomId() {
  std::random_device rd;
  return fmt::format("{:08x}{:04x}", rd(), rd() & 0xffff);
}

// A grpc::Status as an absl::Status naming what failed.
absl::Status Check(const grpc::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), fmt::format("{}: {}", what, s.error_message()));
}

// The container and its snapshot, made under a short lease so gc cannot take the snapshot before the container
// record holds it (as ctr does).
absl::StatusOr<google::protobuf::RepeatedPtrField<containerd::types::Mount>> CreateContainer(
    const Globals& g, const RunOptions& o, const std::string& id, const ResolvedImage& image, int64_t memory_limit) {
  auto channel = Connect(g);
  // A name in use is said so, rather than as the clash of its snapshot key that would come first.
  ctrapi::GetContainerRequest existing;
  existing.set_id(id);
  ctrapi::GetContainerResponse found;
  if (ctrapi::Containers::NewStub(channel)->Get(CallContext(g).get(), existing, &found).ok()) {
    return absl::AlreadyExistsError(fmt::format("the name {} is already in use (berth rm {} frees it)", id, id));
  }
  auto leases = leaseapi::Leases::NewStub(channel);
  leaseapi::CreateRequest lease_req;
  (*lease_req.mutable_labels())["containerd.io/gc.expire"] =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now() + absl::Hours(1), absl::UTCTimeZone());
  leaseapi::CreateResponse lease;
  RETURN_IF_ERROR(Check(leases->Create(CallContext(g).get(), lease_req, &lease), "create lease"));
  auto leased = [&] {
    auto ctx = CallContext(g);
    ctx->AddMetadata("containerd-lease", lease.lease().id());
    return ctx;
  };
  absl::StatusOr<google::protobuf::RepeatedPtrField<containerd::types::Mount>> result = [&]()
      -> absl::StatusOr<google::protobuf::RepeatedPtrField<containerd::types::Mount>> {
    snapapi::PrepareSnapshotRequest prepare;
    prepare.set_snapshotter(o.snapshotter);
    prepare.set_key(id);
    prepare.set_parent(image.chain_id);
    snapapi::PrepareSnapshotResponse prepared;
    RETURN_IF_ERROR(Check(snapapi::Snapshots::NewStub(channel)->Prepare(leased().get(), prepare, &prepared),
                          "prepare snapshot " + id + " of " + image.name));
    ASSIGN_OR_RETURN(std::string spec,
                     DefaultSpec(image, {.ns = g.ns,
                                         .id = id,
                                         .args = o.args,
                                         .terminal = o.tty,
                                         .memory_limit = memory_limit}));
    ctrapi::CreateContainerRequest create;
    auto* c = create.mutable_container();
    c->set_id(id);
    c->set_image(image.name);
    c->mutable_runtime()->set_name(o.runtime);
    c->mutable_spec()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Spec");
    c->mutable_spec()->set_value(spec);
    c->set_snapshotter(o.snapshotter);
    c->set_snapshot_key(id);
    if (!image.stop_signal.empty()) (*c->mutable_labels())["io.containerd.image.config.stop-signal"] = image.stop_signal;
    ctrapi::CreateContainerResponse created;
    grpc::Status s = ctrapi::Containers::NewStub(channel)->Create(leased().get(), create, &created);
    if (!s.ok()) {
      snapapi::RemoveSnapshotRequest remove;
      remove.set_snapshotter(o.snapshotter);
      remove.set_key(id);
      google::protobuf::Empty empty;
      (void)snapapi::Snapshots::NewStub(channel)->Remove(CallContext(g).get(), remove, &empty);
      return Check(s, "create container " + id);
    }
    return prepared.mounts();
  }();
  leaseapi::DeleteRequest del;
  del.set_id(lease.lease().id());
  google::protobuf::Empty empty;
  (void)leases->Delete(CallContext(g).get(), del, &empty);
  return result;
}

// Task deleted, then (with --rm) snapshot and container.
void Cleanup(const Globals& g, const RunOptions& o, const std::string& id, bool remove_container) {
  auto channel = Connect(g);
  tasksapi::DeleteTaskRequest del;
  del.set_container_id(id);
  tasksapi::DeleteResponse deleted;
  (void)tasksapi::Tasks::NewStub(channel)->Delete(CallContext(g).get(), del, &deleted);
  if (!remove_container) return;
  google::protobuf::Empty empty;
  snapapi::RemoveSnapshotRequest remove;
  remove.set_snapshotter(o.snapshotter);
  remove.set_key(id);
  (void)snapapi::Snapshots::NewStub(channel)->Remove(CallContext(g).get(), remove, &empty);
  ctrapi::DeleteContainerRequest delete_container;
  delete_container.set_id(id);
  (void)ctrapi::Containers::NewStub(channel)->Delete(CallContext(g).get(), delete_container, &empty);
}

absl::StatusOr<int> Run(const Globals& g, const RunOptions& o) {
  if (o.detach && (o.tty || o.interactive || o.rm)) {
    return absl::InvalidArgumentError("-d runs without attaching: it cannot be combined with -t, -i or --rm");
  }
  int64_t memory_limit = 0;
  if (!o.memory.empty()) {
    ASSIGN_OR_RETURN(memory_limit, ParseMemory(o.memory));
  }
  // Before any thread or channel exists (see signal_proxy.h); -t sends ^C through the terminal instead.
  std::optional<SignalProxy> proxy;
  if (!o.detach && !o.tty) proxy.emplace(g);
  ASSIGN_OR_RETURN(ResolvedImage image, ImageToRun(g, o));
  std::string id = o.name.empty() ? RandomId() : o.name;
  ASSIGN_OR_RETURN(auto mounts, CreateContainer(g, o, id, image, memory_limit));
  auto tasks = tasksapi::Tasks::NewStub(Connect(g));
  tasksapi::CreateTaskRequest create;
  create.set_container_id(id);
  *create.mutable_rootfs() = mounts;
  create.set_terminal(o.tty);
  std::unique_ptr<Stdio> stdio;
  if (!o.detach) {
    auto made = Stdio::Create(id, o.tty, o.tty || o.interactive);
    if (!made.ok()) {
      Cleanup(g, o, id, o.rm);
      return made.status();
    }
    stdio = *std::move(made);
    create.set_stdin(stdio->stdin_path());
    create.set_stdout(stdio->stdout_path());
    create.set_stderr(stdio->stderr_path());
  }
  tasksapi::CreateTaskResponse created;
  grpc::Status s = tasks->Create(CallContext(g).get(), create, &created);
  if (!s.ok()) {
    Cleanup(g, o, id, o.rm);
    return Check(s, "create task " + id);
  }
  if (o.detach) {
    tasksapi::StartRequest start;
    start.set_container_id(id);
    tasksapi::StartResponse started;
    RETURN_IF_ERROR(Check(tasks->Start(CallContext(g).get(), start, &started), "start " + id));
    std::printf("%s\n", id.c_str());
    return 0;
  }
  if (proxy) proxy->ForwardTo(id);
  absl::StatusOr<uint32_t> status = StartAndWait(g, id, "", *stdio, o.tty);
  proxy.reset();  // the task is gone: signals from here on are dropped, the cleanup below runs to its end
  stdio.reset();
  Cleanup(g, o, id, o.rm);
  if (!status.ok()) return status.status();
  return static_cast<int>(*status);
}

}  // namespace

void AddRun(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("run", "run a container from an image (pulled first if missing)");
  auto o = std::make_shared<RunOptions>();
  cmd->add_flag("--rm", o->rm, "remove the container (and its snapshot) when it exits");
  cmd->add_flag("-d,--detach", o->detach, "start it in the background and print its id");
  cmd->add_flag("-t,--tty", o->tty, "give it a terminal");
  cmd->add_flag("-i,--interactive", o->interactive, "connect stdin");
  cmd->add_option("--name", o->name, "container id (default: random)");
  cmd->add_option("--runtime", o->runtime, "runtime name")->capture_default_str();
  cmd->add_option("--snapshotter", o->snapshotter, "snapshotter the image was unpacked into")->capture_default_str();
  cmd->add_option("--pull", o->pull, "pull the image first: missing, always or never")->capture_default_str();
  cmd->add_flag("--plain-http", o->plain_http, "pull over http:// (a registry without TLS)");
  cmd->add_option("-m,--memory", o->memory, "memory limit, e.g. 64m or 1g (the kernel OOM-kills beyond it)");
  // IMAGE [CMD...]: everything from the image name on belongs to the command, its flags included.
  cmd->prefix_command();
  cmd->footer("Arguments: IMAGE [CMD...]");
  cmd->callback([&g, &rc, o, cmd] {
    std::vector<std::string> rest = cmd->remaining();
    if (rest.empty()) {
      std::fprintf(stderr, "berth: run: IMAGE is required\n");
      rc = 1;
      return;
    }
    o->image = rest[0];
    o->args.assign(rest.begin() + 1, rest.end());
    auto r = Run(g, *o);
    if (!r.ok()) {
      std::fprintf(stderr, "berth: run: %s\n", std::string(r.status().message()).c_str());
      rc = 1;
      return;
    }
    rc = *r;
  });
}

}  // namespace berth::cli
