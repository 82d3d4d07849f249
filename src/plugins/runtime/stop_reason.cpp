#include "plugins/runtime/stop_reason.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/log.h"
#include "base/atomic_file.h"
#include "base/status.h"
#include "base/unique_fd.h"
#include "fmt/format.h"
#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "nlohmann/json.hpp"

namespace berth::runtime {

namespace {

constexpr char kRecordFile[] = "stop-reason.json";
// A record or a spec bigger than this is not ours: read no further.
constexpr std::streamsize kMaxSpecBytes = 4 << 20;

std::optional<std::string> ReadSmallFile(const std::string& path, std::streamsize max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data(static_cast<size_t>(max_bytes), '\0');
  in.read(data.data(), max_bytes);
  data.resize(static_cast<size_t>(in.gcount()));
  return data;
}

// "oom_kill N" from a cgroup's memory.oom_control (v1) or memory.events (v2).
std::optional<uint64_t> OomKillCount(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string key;
  uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "oom_kill") return value;
  }
  return std::nullopt;
}

// A single path component we may join under a directory.
bool IsPlainName(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos && s.find('\0') == std::string::npos;
}

}  // namespace

std::string ExitReason(uint32_t exit_status, bool oom_killed) {
  if (oom_killed && exit_status != 0) return kReasonOomKilled;
  if (exit_status > 128 && exit_status <= 128 + 64) {
    int sig = static_cast<int>(exit_status - 128);
    const char* abbrev = sigabbrev_np(sig);
    return abbrev != nullptr ? fmt::format("killed by SIG{}", abbrev) : fmt::format("killed by signal {}", sig);
  }
  return kReasonExited;
}

absl::StatusOr<StopRecord> ReadStopRecord(const std::string& bundle_dir) {
  std::string path = bundle_dir + "/" + kRecordFile;
  std::optional<std::string> data = ReadSmallFile(path, 64 << 10);
  if (!data) return StopRecord{};
  try {
    auto j = nlohmann::json::parse(*data);
    StopRecord record{.oom = j.value("oom", false)};
    if (j.contains("exit_status")) record.exit_status = j.at("exit_status").get<uint32_t>();
    if (j.contains("reason")) record.reason = j.at("reason").get<std::string>();
    return record;
  } catch (const std::exception& e) {
    return absl::DataLossError(fmt::format("{}: {}", path, e.what()));
  }
}

absl::Status WriteStopRecord(const std::string& bundle_dir, const StopRecord& record) {
  nlohmann::json j{{"oom", record.oom}};
  if (record.exit_status) j["exit_status"] = *record.exit_status;
  if (record.reason) j["reason"] = *record.reason;
  std::string data = j.dump();
  std::string path = bundle_dir + "/" + kRecordFile;
  return WriteFileAtomically(path, data, 0600);
}

std::optional<uint64_t> CgroupOomKills(const std::string& bundle_dir) {
  std::optional<std::string> spec = ReadSmallFile(bundle_dir + "/config.json", kMaxSpecBytes);
  if (!spec) return std::nullopt;
  std::string cgroup;
  try {
    auto j = nlohmann::json::parse(*spec);
    cgroup = j.at("linux").value("cgroupsPath", "");
  } catch (const std::exception&) {
    return std::nullopt;
  }
  // Only runc's cgroupfs form, made of plain names: a systemd "slice:prefix:name" or a path climbing out of the
  // cgroup mount is not looked up.
  if (!cgroup.starts_with("/") || cgroup.find(':') != std::string::npos) return std::nullopt;
  std::stringstream parts(cgroup.substr(1));
  for (std::string part; std::getline(parts, part, '/');) {
    if (!IsPlainName(part)) return std::nullopt;
  }
  if (auto v1 = OomKillCount("/sys/fs/cgroup/memory" + cgroup + "/memory.oom_control")) return v1;
  if (auto v2 = OomKillCount("/sys/fs/cgroup" + cgroup + "/memory.events")) return v2;
  return OomKillCount("/sys/fs/cgroup/unified" + cgroup + "/memory.events");
}

std::optional<std::string> StopReasonRecorder::BundleDir(const std::string& ns, const std::string& id) const {
  if (!IsPlainName(ns) || !IsPlainName(id)) return std::nullopt;
  std::string dir = fmt::format("{}/{}/{}", tasks_root_, ns, id);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
  return dir;
}

void StopReasonRecorder::Update(const std::string& ns, const std::string& id, bool oom,
                                std::optional<uint32_t> exit_status) {
  std::optional<std::string> dir = BundleDir(ns, id);
  if (!dir) return;  // deleted meanwhile, or not a task of ours
  std::lock_guard lock(mu_);
  absl::StatusOr<StopRecord> record = ReadStopRecord(*dir);
  if (!record.ok()) {
    log::Warn("task {}/{}: {}; writing it anew", ns, id, record.status().ToString());
    record = StopRecord{};
  }
  record->oom = record->oom || oom;
  if (exit_status) {
    record->exit_status = *exit_status;
    // The cgroup counts kills the event may not have announced yet; it is still there until the task's delete.
    bool oom_killed = record->oom || CgroupOomKills(*dir).value_or(0) > 0;
    record->reason = ExitReason(*exit_status, oom_killed);
  } else if (record->exit_status) {
    record->reason = ExitReason(*record->exit_status, record->oom);
  }
  absl::Status written = WriteStopRecord(*dir, *record);
  // NotFound: the task was deleted while its last events arrived; nothing is left to record for.
  if (!written.ok() && !absl::IsNotFound(written)) {
    log::Warn("task {}/{}: stop reason not recorded: {}", ns, id, written.ToString());
  }
}

void StopReasonRecorder::Observe(const std::string& ns, const std::string& topic, const std::string& value) {
  if (topic == "/tasks/oom") {
    containerd::events::TaskOOM event;
    if (!event.ParseFromString(value)) {
      log::Warn("{} event in namespace {}: unreadable TaskOOM", topic, ns);
      return;
    }
    Update(ns, event.container_id(), /*oom=*/true, std::nullopt);
  } else if (topic == "/tasks/exit") {
    containerd::events::TaskExit event;
    if (!event.ParseFromString(value)) {
      log::Warn("{} event in namespace {}: unreadable TaskExit", topic, ns);
      return;
    }
    // An exec's exit is not the task's (its id is the exec id); the init's id is the container's.
    if (!event.id().empty() && event.id() != event.container_id()) return;
    Update(ns, event.container_id(), /*oom=*/false, event.exit_status());
  }
}

}  // namespace berth::runtime
