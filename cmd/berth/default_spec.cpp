#include "default_spec.h"

#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace berth::cli {

namespace {

using nlohmann::json;

constexpr char kDefaultPath[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

json Capabilities() {
  std::vector<std::string> caps = {"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
                                   "CAP_MKNOD",  "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
                                   "CAP_SETFCAP", "CAP_SETPCAP",     "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                                   "CAP_KILL",   "CAP_AUDIT_WRITE"};
  return json{{"bounding", caps}, {"permitted", caps}, {"effective", caps}};
}

json Mount(const char* destination, const char* type, const char* source, std::vector<std::string> options) {
  return json{{"destination", destination}, {"type", type}, {"source", source}, {"options", options}};
}

json Mounts() {
  return json::array({
      Mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      Mount("/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      Mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      Mount("/run", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
  });
}

}  // namespace

absl::StatusOr<std::string> DefaultSpec(const ResolvedImage& image, const SpecOptions& o) {
  std::vector<std::string> args = o.args;
  if (args.empty()) {
    args = image.entrypoint;
    args.insert(args.end(), image.cmd.begin(), image.cmd.end());
  } else if (!image.entrypoint.empty()) {
    std::vector<std::string> with = image.entrypoint;  // as docker: CMD... replaces cmd, not the entrypoint
    with.insert(with.end(), args.begin(), args.end());
    args = with;
  }
  if (args.empty()) return absl::InvalidArgumentError(fmt::format("image {} has no command: give one", image.name));
  uint32_t uid = 0, gid = 0;
  if (!image.user.empty()) {
    if (std::sscanf(image.user.c_str(), "%u:%u", &uid, &gid) < 1) {
      return absl::InvalidArgumentError(
          fmt::format("image {}: user \"{}\" is a name; berth run supports only uid[:gid]", image.name, image.user));
    }
  }
  std::vector<std::string> env = image.env;
  bool has_path = false;
  for (const auto& e : env) has_path = has_path || e.rfind("PATH=", 0) == 0;
  if (!has_path) env.insert(env.begin(), kDefaultPath);
  if (o.terminal) env.push_back("TERM=xterm");
  json process{{"terminal", o.terminal},
               {"user", {{"uid", uid}, {"gid", gid}}},
               {"args", args},
               {"env", env},
               {"cwd", image.working_dir.empty() ? "/" : image.working_dir},
               {"capabilities", Capabilities()},
               {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
               {"noNewPrivileges", true}};
  json linux{
      {"resources", {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}}},
      {"cgroupsPath", fmt::format("/{}/{}", o.ns, o.id)},
      {"namespaces",
       json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}, {{"type", "network"}}})},
      {"maskedPaths",
       {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
      {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}};
  if (o.memory_limit > 0) linux["resources"]["memory"] = {{"limit", o.memory_limit}};
  json spec{{"ociVersion", "1.0.2-dev"},
            {"process", process},
            {"root", {{"path", "rootfs"}}},
            {"hostname", o.id.substr(0, 12)},
            {"mounts", Mounts()},
            {"linux", linux}};
  return spec.dump();
}

}  // namespace berth::cli
