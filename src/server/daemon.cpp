#include "server/daemon.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"
#include "base/log.h"
#include "base/status.h"
#include "base/unique_fd.h"
#include "fmt/format.h"
#include "events/exchange.h"
#include "df/analyzer.h"
#include "doctor/doctor.h"
#include "fsck/checker.h"
#include "metadata/container_store.h"
#include "metadata/content_store.h"
#include "metadata/db.h"
#include "metadata/gc_collector.h"
#include "metadata/image_store.h"
#include "metadata/lease_manager.h"
#include "metadata/namespace_store.h"
#include "metadata/snapshot_store.h"
#include "metrics/grpc_server_metrics.h"
#include "metrics/http_server.h"
#include "metrics/listen_address.h"
#include "metrics/process_metrics.h"
#include "metrics/registry.h"
#include "plugins/content/local/local_store.h"
#include "plugins/diff/fs_applier.h"
#include "plugins/diff/walking_differ.h"
#include "plugins/runtime/task_manager.h"
#include "plugins/snapshots/native/native_snapshotter.h"
#include "plugins/snapshots/overlay/overlay_snapshotter.h"
#include "server/dirs.h"
#include "plugins/remotes/registry.h"
#include "plugins/transfer/puller.h"
#include "services/containers_service.h"
#include "services/content_service.h"
#include "services/events_service.h"
#include "services/tasks_service.h"
#include "services/task_status_service.h"
#include "services/diff_service.h"
#include "services/gc_service.h"
#include "services/df_service.h"
#include "services/doctor_service.h"
#include "services/fsck_service.h"
#include "services/images_service.h"
#include "services/introspection_service.h"
#include "services/leases_service.h"
#include "services/namespaces_service.h"
#include "services/pull_service.h"
#include "services/snapshots_service.h"
#include "services/version_service.h"
#include "server/version.h"

namespace berth::server {

namespace {
constexpr int kMaxMessageSize = 16 << 20;  // what ctr and containerd use

// Serves the default registry (with process metrics) at http://address/v1/metrics.
absl::StatusOr<std::unique_ptr<metrics::HttpServer>> StartMetrics(const std::string& address) {
  ASSIGN_OR_RETURN(metrics::ListenAddress where, metrics::ParseListenAddress(address));
  if (!where.loopback) {
    log::Warn("metrics address {} is not loopback: anyone who can reach it can read berthd's metrics", address);
  }
  metrics::AddProcessMetrics(metrics::Default());
  ASSIGN_OR_RETURN(std::unique_ptr<metrics::HttpServer> server,
                   metrics::HttpServer::Start(where, &metrics::Default()));
  log::Info("metrics on http://{}/v1/metrics", address);
  return server;
}
}  // namespace

// Declared in the order they are built; destroyed in reverse (services before the stores they point at).
struct Daemon::Parts {
  Config config;
  UniqueFd root_lock;
  std::shared_ptr<content::LocalStore> blobs;
  std::unique_ptr<metadata::Db> db;
  std::unique_ptr<metadata::NamespaceStore> namespaces;
  std::unique_ptr<metadata::ImageStore> images;
  std::unique_ptr<metadata::LeaseManager> leases;
  std::unique_ptr<metadata::ContentStore> content;
  std::unique_ptr<metadata::SnapshotStore> overlayfs;  // null when the kernel has no usable overlayfs
  std::unique_ptr<metadata::SnapshotStore> native;
  std::unique_ptr<metadata::GarbageCollector> gc;  // after the stores it collects, so it stops first
  std::unique_ptr<diff::FsApplier> applier;
  std::unique_ptr<diff::WalkingDiffer> differ;
  std::unique_ptr<remotes::Registry> registry;
  std::unique_ptr<transfer::Puller> puller;
  std::unique_ptr<events::Exchange> exchange;
  std::unique_ptr<metadata::ContainerStore> containers;
  std::unique_ptr<runtime::TaskManager> tasks;
  std::unique_ptr<df::Analyzer> disk_usage;   // berth df
  std::unique_ptr<fsck::Checker> checker;     // berth fsck
  services::EventsService* events_service = nullptr;  // owned by `services`; stopped before the server
  std::vector<std::unique_ptr<grpc::Service>> services;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<metrics::HttpServer> metrics_server;  // null unless a metrics address is configured
};

Daemon::Daemon(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Daemon::~Daemon() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Open(const Config& config) {
  // Debian's abseil checks every gRPC mutex acquisition for lock-order cycles (with a stack trace): a few
  // percent of berthd's CPU per request, for a check that only helps while developing abseil's users.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto start = std::chrono::steady_clock::now();
  auto p = std::make_unique<Parts>();
  p->config = config;
  RETURN_IF_ERROR(EnsurePrivateDir(config.root));
  RETURN_IF_ERROR(EnsurePrivateDir(config.state));
  ASSIGN_OR_RETURN(p->root_lock, LockRoot(config.root));
  ASSIGN_OR_RETURN(std::string uuid, LoadOrCreateUuid(config.root));

  const std::string content_root = config.root + "/content";
  const std::string metadata_root = config.root + "/metadata";  // Db::Open adds the "metadata" part itself
  // Snapshotter roots are named as containerd names its plugin dirs, so mount paths read the same.
  const std::string overlayfs_root = config.root + "/io.containerd.snapshotter.v1.overlayfs";
  const std::string native_root = config.root + "/io.containerd.snapshotter.v1.native";
  ASSIGN_OR_RETURN(p->blobs, content::LocalStore::Open(content_root));
  ASSIGN_OR_RETURN(p->db, metadata::Db::Open(config.root));
  p->namespaces = std::make_unique<metadata::NamespaceStore>(p->db.get());
  p->images = std::make_unique<metadata::ImageStore>(p->db.get());
  p->leases = std::make_unique<metadata::LeaseManager>(p->db.get());
  p->content = std::make_unique<metadata::ContentStore>(p->db.get(), p->blobs);

  std::map<std::string, snapshots::Snapshotter*> snapshotters;
  auto overlay = snapshots::OverlaySnapshotter::Open(overlayfs_root);
  if (overlay.ok()) {
    ASSIGN_OR_RETURN(p->overlayfs, metadata::SnapshotStore::Open(p->db.get(), "overlayfs", *std::move(overlay)));
    snapshotters["overlayfs"] = p->overlayfs.get();
  } else if (absl::IsFailedPrecondition(overlay.status())) {
    // As containerd: a kernel without overlayfs skips the plugin instead of failing the daemon.
    log::Warn("snapshotter overlayfs disabled: {}", std::string(overlay.status().message()));
  } else {
    return overlay.status();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<snapshots::NativeSnapshotter> native_backend,
                   snapshots::NativeSnapshotter::Open(native_root));
  ASSIGN_OR_RETURN(p->native, metadata::SnapshotStore::Open(p->db.get(), "native", std::move(native_backend)));
  snapshotters["native"] = p->native.get();

  // Garbage collection over every store: triggered by deletions (at most one run per 100 ms), by a timer, and
  // synchronously by deletes that ask for `sync`.
  std::vector<metadata::SnapshotStore*> collected = {p->native.get()};
  if (p->overlayfs) collected.push_back(p->overlayfs.get());
  // Containers are roots: each holds its snapshot and what its gc.ref labels name.
  p->gc = std::make_unique<metadata::GarbageCollector>(
      p->db.get(), p->content.get(), collected,
      metadata::GarbageCollectorOptions{.extra_roots = {metadata::ContainerRoots}});
  // A collection a crash cut short finishes its disk phase before anyone is served. Not fatal: the next
  // collection retries it, and fsck names what stays.
  if (absl::Status s = p->gc->FinishInterrupted(); !s.ok()) log::Warn("{}", std::string(s.message()));
  p->images->set_on_delete(p->gc->Notifier());
  p->leases->set_on_delete(p->gc->Notifier());
  p->content->set_on_delete(p->gc->Notifier());
  for (metadata::SnapshotStore* store : collected) store->set_on_delete(p->gc->Notifier());
  p->exchange = std::make_unique<events::Exchange>();
  p->containers = std::make_unique<metadata::ContainerStore>(p->db.get());
  p->containers->set_on_delete(p->gc->Notifier());

  // Layers that cannot be applied in place are mounted here for the duration of one call.
  const std::string temp_mounts = config.state + "/tmpmounts";
  RETURN_IF_ERROR(EnsurePrivateDir(temp_mounts));
  const doctor::LeftoverScope mount_scope = doctor::LeftoverScope::OfStartingDaemon(config.root, config.state);
  p->applier = std::make_unique<diff::FsApplier>(p->content.get(), diff::FsApplierOptions{.temp_mount_dir = temp_mounts});
  p->differ = std::make_unique<diff::WalkingDiffer>(p->content.get(),
                                                    diff::WalkingDifferOptions{.temp_mount_dir = temp_mounts});

  std::vector<services::PluginInfo> plugins = {
      {.type = "io.containerd.content.v1", .id = "content", .exports = {{"root", content_root}}},
      {.type = "io.containerd.metadata.v1", .id = "lmdb", .exports = {{"root", metadata_root}}},
      {.type = "io.containerd.grpc.v1", .id = "version"},
      {.type = "io.containerd.grpc.v1", .id = "introspection"},
      {.type = "io.containerd.grpc.v1", .id = "namespaces", .requires_ = {"io.containerd.metadata.v1"}},
      {.type = "io.containerd.grpc.v1", .id = "content", .requires_ = {"io.containerd.metadata.v1"}},
      {.type = "io.containerd.grpc.v1", .id = "images", .requires_ = {"io.containerd.metadata.v1"}},
      {.type = "io.containerd.grpc.v1", .id = "leases", .requires_ = {"io.containerd.metadata.v1"}},
      {.type = "io.containerd.snapshotter.v1", .id = "native", .exports = {{"root", native_root}}},
      {.type = "io.containerd.grpc.v1", .id = "snapshots", .requires_ = {"io.containerd.snapshotter.v1"}},
      {.type = "io.containerd.differ.v1", .id = "walking", .requires_ = {"io.containerd.metadata.v1"}},
      {.type = "io.containerd.grpc.v1", .id = "diff", .requires_ = {"io.containerd.differ.v1"}},
      {.type = "io.containerd.grpc.v1", .id = "berth.gc", .requires_ = {"io.containerd.metadata.v1"}},
      {.type = "io.containerd.grpc.v1", .id = "berth.pull", .requires_ = {"io.containerd.metadata.v1"}},
      {.type = "io.containerd.grpc.v1", .id = "berth.df", .requires_ = {"io.containerd.metadata.v1"}},
      {.type = "io.containerd.grpc.v1", .id = "berth.fsck", .requires_ = {"io.containerd.metadata.v1"}},
      {.type = "io.containerd.grpc.v1", .id = "berth.doctor"},
      {.type = "io.containerd.event.v1", .id = "exchange"},
      {.type = "io.containerd.runtime.v2", .id = "task", .requires_ = {"io.containerd.event.v1"}},
      {.type = "io.containerd.grpc.v1", .id = "containers", .requires_ = {"io.containerd.metadata.v1"}},
      {.type = "io.containerd.grpc.v1", .id = "events", .requires_ = {"io.containerd.event.v1"}},
      {.type = "io.containerd.grpc.v1", .id = "tasks", .requires_ = {"io.containerd.runtime.v2"}},
      {.type = "io.containerd.grpc.v1", .id = "berth.tasks", .requires_ = {"io.containerd.runtime.v2"}},
  };
  if (p->overlayfs) {
    plugins.push_back(
        {.type = "io.containerd.snapshotter.v1", .id = "overlayfs", .exports = {{"root", overlayfs_root}}});
  } else {
    plugins.push_back({.type = "io.containerd.snapshotter.v1",
                       .id = "overlayfs",
                       .init_error = absl::FailedPreconditionError("skip plugin: overlayfs is not usable here")});
  }
  // Server-side pulls (berth pull). Pulls a crash interrupted leave a lease behind: drop those, and let gc
  // take what they had fetched or unpacked half-way.
  p->registry = remotes::Registry::Create({.hosts = config.registries});
  p->puller = std::make_unique<transfer::Puller>(
      transfer::PullerDeps{.content = p->content.get(),
                           .images = p->images.get(),
                           .leases = p->leases.get(),
                           .snapshotters = snapshotters,
                           .applier = p->applier.get(),
                           .registry = p->registry.get()},
      transfer::PullerOptions{.max_concurrent_downloads = config.max_concurrent_downloads,
                              .retry = {.max_attempts = config.max_attempts},
                              .default_snapshotter = p->overlayfs ? "overlayfs" : "native"});
  ASSIGN_OR_RETURN(int interrupted, transfer::DropInterruptedPulls(*p->namespaces, *p->leases));
  if (interrupted > 0) log::Info("dropped the leases of {} pulls interrupted by a restart", interrupted);

  // The shims' event socket (<address>.ttrpc) sits beside the gRPC socket, in its private directory.
  RETURN_IF_ERROR(EnsurePrivateDir(std::filesystem::path(config.address).parent_path().string()));
  // Shims (one per task): reconnects to those a previous berthd started, cleans up after dead ones.
  ASSIGN_OR_RETURN(p->tasks, runtime::TaskManager::Open({.state_dir = config.state,
                                                         .daemon_address = config.address,
                                                         .exchange = p->exchange.get()}));

  p->services.push_back(std::make_unique<services::VersionService>(kVersion, kRevision));
  p->services.push_back(std::make_unique<services::IntrospectionService>(std::move(plugins), uuid));
  auto namespaces_service = std::make_unique<services::NamespacesService>(p->namespaces.get());
  namespaces_service->set_events(p->exchange.get());
  p->services.push_back(std::move(namespaces_service));
  p->services.push_back(std::make_unique<services::ContentService>(p->content.get()));
  auto collect = [gc = p->gc.get()] { return gc->RunAfterDeletion(); };
  auto images_service = std::make_unique<services::ImagesService>(p->images.get(), collect);
  images_service->set_events(p->exchange.get());
  p->services.push_back(std::move(images_service));
  p->services.push_back(std::make_unique<services::LeasesService>(p->leases.get(), collect));
  auto snapshots_service = std::make_unique<services::SnapshotsService>(std::move(snapshotters));
  snapshots_service->set_events(p->exchange.get());
  p->services.push_back(std::move(snapshots_service));
  p->services.push_back(std::make_unique<services::DiffService>(p->applier.get(), p->differ.get()));
  p->services.push_back(std::make_unique<services::PullService>(p->puller.get()));
  p->services.push_back(std::make_unique<services::ContainersService>(p->containers.get(), p->exchange.get()));
  p->services.push_back(std::make_unique<services::TasksService>(p->containers.get(), p->tasks.get()));
  p->services.push_back(std::make_unique<services::TaskStatusService>(p->tasks.get()));  // berth ps
  auto events_service = std::make_unique<services::EventsService>(p->exchange.get());
  p->events_service = events_service.get();
  p->services.push_back(std::move(events_service));
  p->services.push_back(std::make_unique<services::GcService>(
      [gc = p->gc.get()](bool dry_run, const berth::gc::ProgressFn& progress) { return gc->Run(dry_run, progress); }));
  // Operator tools over the same stores (berth df, berth fsck).
  p->disk_usage = std::make_unique<df::Analyzer>(
      df::AnalyzerDeps{.root = config.root, .db = p->db.get(), .blobs = p->blobs.get(), .snapshotters = collected});
  std::set<std::string> registry_hosts;
  for (const auto& [host, _] : config.registries) registry_hosts.insert(host);
  p->checker = std::make_unique<fsck::Checker>(fsck::CheckerDeps{.db = p->db.get(),
                                                              .content = p->content.get(),
                                                              .blobs = p->blobs.get(),
                                                              .snapshotters = collected,
                                                              .registry = p->registry.get(),
                                                              .registry_hosts = std::move(registry_hosts),
                                                              .analyzer = p->disk_usage.get(),
                                                              .applier = p->applier.get(),
                                                              .mounts = mount_scope});
  p->services.push_back(std::make_unique<services::DfService>(p->disk_usage.get()));
  p->services.push_back(std::make_unique<services::FsckService>(p->checker.get()));
  p->services.push_back(std::make_unique<services::DoctorService>(doctor::DoctorOptions{
      .scope = mount_scope, .reclaimable = [analyzer = p->disk_usage.get()]() -> absl::StatusOr<int64_t> {
        ASSIGN_OR_RETURN(df::Report report, analyzer->Analyze());
        return report.reclaimable_bytes;
      }}));  // berth doctor

  RETURN_IF_ERROR(RemoveStaleSocket(config.address));
  RETURN_IF_ERROR(EnsurePrivateDir(std::filesystem::path(config.address).parent_path().string()));
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + config.address, grpc::InsecureServerCredentials());
  builder.SetMaxReceiveMessageSize(kMaxMessageSize);
  builder.SetMaxSendMessageSize(kMaxMessageSize);
  // gRPC's defaults (1..2 pollers) end a handler thread whenever two others are polling, and start one when
  // none is: a blocking Wait beside ctr's next calls kept threads starting and exiting (29 in 10 `ctr run`s; 14
  // with these). Up to 8 idle pollers stay, and one is always spare.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 2);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 8);
  for (auto& service : p->services) builder.RegisterService(service.get());
  if (!config.metrics_address.empty()) {
    ASSIGN_OR_RETURN(p->metrics_server, StartMetrics(config.metrics_address));
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
    interceptors.push_back(metrics::NewGrpcServerMetricsFactory(metrics::Default()));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
  }
  p->server = builder.BuildAndStart();
  if (p->server == nullptr) {
    return absl::UnavailableError(fmt::format("cannot listen on unix:{} (see the log above)", config.address));
  }
  if (::chmod(config.address.c_str(), 0660) != 0) return ErrnoStatus(errno, "chmod", config.address);

  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  log::Info("berthd {} serving on {} (root {}, state {}) in {} ms", kVersion, config.address, config.root,
               config.state, ms.count());
  return std::unique_ptr<Daemon>(new Daemon(std::move(p)));
}

void Daemon::Wait() { parts_->server->Wait(); }

void Daemon::Shutdown() {
  if (parts_ && parts_->events_service) parts_->events_service->Stop();  // Subscribe streams end
  if (parts_ && parts_->server) {
    // Give in-flight calls a moment, then cancel the rest (ingests stay resumable on disk).
    parts_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  if (parts_ && parts_->metrics_server) parts_->metrics_server->Stop();
}

}  // namespace berth::server
