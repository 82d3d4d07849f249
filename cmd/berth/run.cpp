// berth run [--rm] [-d] [-t] [-i] [--name N] IMAGE [CMD...]: create a container from an unpacked image (its
// snapshot, containerd's default spec, runtime io.containerd.berth.v1) and run its task, attached unless -d.
// Exits with the process's status.
#include <cstdio>
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
  std::vector<std::string> args;
};

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
    const Globals& g, const RunOptions& o, const std::string& id, const ResolvedImage& image) {
  auto channel = Connect(g);
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
                     DefaultSpec(image, {.ns = g.ns, .id = id, .args = o.args, .terminal = o.tty}));
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
  ASSIGN_OR_RETURN(ResolvedImage image, ResolveImage(g, o.image));
  std::string id = o.name.empty() ? RandomId() : o.name;
  ASSIGN_OR_RETURN(auto mounts, CreateContainer(g, o, id, image));
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
  absl::StatusOr<uint32_t> status = StartAndWait(g, id, "", *stdio, o.tty);
  stdio.reset();
  Cleanup(g, o, id, o.rm);
  if (!status.ok()) return status.status();
  return static_cast<int>(*status);
}

}  // namespace

void AddRun(CLI::App& app, const Globals& g, int& rc) {
  CLI::App* cmd = app.add_subcommand("run", "run a container from an image (berth pull it first)");
  auto o = std::make_shared<RunOptions>();
  cmd->add_flag("--rm", o->rm, "remove the container (and its snapshot) when it exits");
  cmd->add_flag("-d,--detach", o->detach, "start it in the background and print its id");
  cmd->add_flag("-t,--tty", o->tty, "give it a terminal");
  cmd->add_flag("-i,--interactive", o->interactive, "connect stdin");
  cmd->add_option("--name", o->name, "container id (default: random)");
  cmd->add_option("--runtime", o->runtime, "runtime name")->capture_default_str();
  cmd->add_option("--snapshotter", o->snapshotter, "snapshotter the image was unpacked into")->capture_default_str();
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
