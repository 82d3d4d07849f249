// The containerd.task.v2.Task messages (runtime/v2/task/shim.proto), encoded by hand with protowire so the shim
// links no protobuf library. Only the fields containerd 1.6 sends or reads are modelled; unknown ones are skipped.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::shim {

inline constexpr char kTaskService[] = "containerd.task.v2.Task";

struct Timestamp {
  int64_t seconds = 0;
  int32_t nanos = 0;
  bool empty() const { return seconds == 0 && nanos == 0; }
  static Timestamp Now();
  std::string Encode() const;
};

struct Any {
  std::string type_url;  // 1
  std::string value;     // 2
  std::string Encode() const;
  static absl::StatusOr<Any> Decode(std::string_view data);
};

struct Mount {
  std::string type, source, target;  // 1, 2, 3
  std::vector<std::string> options;  // 4
  std::string Encode() const;
  static absl::StatusOr<Mount> Decode(std::string_view data);
};

struct Stdio {
  std::string stdin_path, stdout_path, stderr_path;
  bool terminal = false;
};

// Requests ------------------------------------------------------------------------------------------------------
struct CreateTaskRequest {
  std::string id, bundle;     // 1, 2
  std::vector<Mount> rootfs;  // 3
  Stdio stdio;                // 4 terminal, 5 stdin, 6 stdout, 7 stderr
  std::string checkpoint;     // 8
  static absl::StatusOr<CreateTaskRequest> Decode(std::string_view data);
};

// State, Start, Delete, Wait (1 id, 2 exec_id); Pids, Pause, Resume, Stats, Connect (1 id).
struct ProcessRequest {
  std::string id, exec_id;
  static absl::StatusOr<ProcessRequest> Decode(std::string_view data);
};

struct KillRequest {
  std::string id, exec_id;  // 1, 2
  uint32_t signal = 0;      // 3
  bool all = false;         // 4
  static absl::StatusOr<KillRequest> Decode(std::string_view data);
};

struct ExecProcessRequest {
  std::string id, exec_id;  // 1, 2
  Stdio stdio;              // 3 terminal, 4 stdin, 5 stdout, 6 stderr
  Any spec;                 // 7: OCI Process as JSON
  static absl::StatusOr<ExecProcessRequest> Decode(std::string_view data);
};

struct ResizePtyRequest {
  std::string id, exec_id;
  uint32_t width = 0, height = 0;  // 3, 4
  static absl::StatusOr<ResizePtyRequest> Decode(std::string_view data);
};

struct CloseIORequest {
  std::string id, exec_id;
  bool stdin = false;  // 3
  static absl::StatusOr<CloseIORequest> Decode(std::string_view data);
};

struct UpdateTaskRequest {
  std::string id;  // 1
  Any resources;   // 2: OCI LinuxResources as JSON
  static absl::StatusOr<UpdateTaskRequest> Decode(std::string_view data);
};

struct ShutdownRequest {
  std::string id;
  bool now = false;  // 2
  static absl::StatusOr<ShutdownRequest> Decode(std::string_view data);
};

// Responses -----------------------------------------------------------------------------------------------------
enum class TaskStatus : uint8_t { kUnknown = 0, kCreated = 1, kRunning = 2, kStopped = 3, kPaused = 4, kPausing = 5 };

struct StateResponse {
  std::string id, bundle;  // 1, 2
  uint32_t pid = 0;        // 3
  TaskStatus status = TaskStatus::kUnknown;  // 4
  Stdio stdio;             // 5 stdin, 6 stdout, 7 stderr, 8 terminal
  uint32_t exit_status = 0;  // 9
  Timestamp exited_at;       // 10
  std::string exec_id;       // 11
  std::string Encode() const;
};

// Create, Start: 1 pid.
std::string EncodePidResponse(uint32_t pid);

// Delete: 1 pid, 2 exit_status, 3 exited_at (also what the `delete` action prints).
struct DeleteResponse {
  uint32_t pid = 0, exit_status = 0;
  Timestamp exited_at;
  std::string Encode() const;
  static absl::StatusOr<DeleteResponse> Decode(std::string_view data);
};

// Wait: 1 exit_status, 2 exited_at.
std::string EncodeWaitResponse(uint32_t exit_status, const Timestamp& exited_at);

// Pids: 1 repeated ProcessInfo{1 pid, 2 info Any}.
struct ProcessInfo {
  uint32_t pid = 0;
  std::string exec_id;  // non-empty: info = containerd.runc.v1.ProcessDetails{1 exec_id}
};
std::string EncodePidsResponse(const std::vector<ProcessInfo>& processes);

// Stats: 1 stats Any.
std::string EncodeStatsResponse(const Any& stats);

// Connect: 1 shim_pid, 2 task_pid, 3 version.
std::string EncodeConnectResponse(uint32_t shim_pid, uint32_t task_pid);

}  // namespace berth::shim
