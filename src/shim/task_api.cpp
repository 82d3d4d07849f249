#include "shim/task_api.h"

#include <time.h>

#include "base/status.h"
#include "ttrpc/protowire.h"

namespace berth::shim {
namespace {

using protowire::Reader;
using protowire::Writer;

// Runs `on_field` for every field of `data`; returns the decoder's status with `what` as context.
template <typename F>
absl::Status ForEachField(std::string_view data, std::string_view what, F on_field) {
  Reader r(data);
  while (r.Next()) {
    RETURN_IF_ERROR(on_field(r));
  }
  return WithContext(r.status(), what);
}

}  // namespace

Timestamp Timestamp::Now() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return {.seconds = ts.tv_sec, .nanos = static_cast<int32_t>(ts.tv_nsec)};
}

std::string Timestamp::Encode() const {
  Writer w;
  w.Int(1, seconds);
  w.Int(2, nanos);
  return w.Take();
}

std::string Any::Encode() const {
  Writer w;
  w.String(1, type_url);
  w.String(2, value);
  return w.Take();
}

absl::StatusOr<Any> Any::Decode(std::string_view data) {
  Any any;
  RETURN_IF_ERROR(ForEachField(data, "google.protobuf.Any", [&](Reader& r) {
    if (r.field() == 1) any.type_url = r.string();
    if (r.field() == 2) any.value = r.string();
    return absl::OkStatus();
  }));
  return any;
}

std::string Mount::Encode() const {
  Writer w;
  w.String(1, type);
  w.String(2, source);
  w.String(3, target);
  for (const auto& o : options) w.RepeatedString(4, o);
  return w.Take();
}

absl::StatusOr<Mount> Mount::Decode(std::string_view data) {
  Mount m;
  RETURN_IF_ERROR(ForEachField(data, "containerd.types.Mount", [&](Reader& r) {
    switch (r.field()) {
      case 1: m.type = r.string(); break;
      case 2: m.source = r.string(); break;
      case 3: m.target = r.string(); break;
      case 4: m.options.push_back(r.string()); break;
    }
    return absl::OkStatus();
  }));
  return m;
}

absl::StatusOr<CreateTaskRequest> CreateTaskRequest::Decode(std::string_view data) {
  CreateTaskRequest req;
  RETURN_IF_ERROR(ForEachField(data, "CreateTaskRequest", [&](Reader& r) -> absl::Status {
    switch (r.field()) {
      case 1: req.id = r.string(); break;
      case 2: req.bundle = r.string(); break;
      case 3: {
        ASSIGN_OR_RETURN(Mount m, Mount::Decode(r.bytes()));
        req.rootfs.push_back(std::move(m));
        break;
      }
      case 4: req.stdio.terminal = r.boolean(); break;
      case 5: req.stdio.stdin_path = r.string(); break;
      case 6: req.stdio.stdout_path = r.string(); break;
      case 7: req.stdio.stderr_path = r.string(); break;
      case 8: req.checkpoint = r.string(); break;
    }
    return absl::OkStatus();
  }));
  return req;
}

absl::StatusOr<ProcessRequest> ProcessRequest::Decode(std::string_view data) {
  ProcessRequest req;
  RETURN_IF_ERROR(ForEachField(data, "task request", [&](Reader& r) {
    if (r.field() == 1) req.id = r.string();
    if (r.field() == 2) req.exec_id = r.string();
    return absl::OkStatus();
  }));
  return req;
}

absl::StatusOr<KillRequest> KillRequest::Decode(std::string_view data) {
  KillRequest req;
  RETURN_IF_ERROR(ForEachField(data, "KillRequest", [&](Reader& r) {
    switch (r.field()) {
      case 1: req.id = r.string(); break;
      case 2: req.exec_id = r.string(); break;
      case 3: req.signal = static_cast<uint32_t>(r.varint()); break;
      case 4: req.all = r.boolean(); break;
    }
    return absl::OkStatus();
  }));
  return req;
}

absl::StatusOr<ExecProcessRequest> ExecProcessRequest::Decode(std::string_view data) {
  ExecProcessRequest req;
  RETURN_IF_ERROR(ForEachField(data, "ExecProcessRequest", [&](Reader& r) -> absl::Status {
    switch (r.field()) {
      case 1: req.id = r.string(); break;
      case 2: req.exec_id = r.string(); break;
      case 3: req.stdio.terminal = r.boolean(); break;
      case 4: req.stdio.stdin_path = r.string(); break;
      case 5: req.stdio.stdout_path = r.string(); break;
      case 6: req.stdio.stderr_path = r.string(); break;
      case 7: {
        ASSIGN_OR_RETURN(req.spec, Any::Decode(r.bytes()));
        break;
      }
    }
    return absl::OkStatus();
  }));
  return req;
}

absl::StatusOr<ResizePtyRequest> ResizePtyRequest::Decode(std::string_view data) {
  ResizePtyRequest req;
  RETURN_IF_ERROR(ForEachField(data, "ResizePtyRequest", [&](Reader& r) {
    switch (r.field()) {
      case 1: req.id = r.string(); break;
      case 2: req.exec_id = r.string(); break;
      case 3: req.width = static_cast<uint32_t>(r.varint()); break;
      case 4: req.height = static_cast<uint32_t>(r.varint()); break;
    }
    return absl::OkStatus();
  }));
  return req;
}

absl::StatusOr<CloseIORequest> CloseIORequest::Decode(std::string_view data) {
  CloseIORequest req;
  RETURN_IF_ERROR(ForEachField(data, "CloseIORequest", [&](Reader& r) {
    if (r.field() == 1) req.id = r.string();
    if (r.field() == 2) req.exec_id = r.string();
    if (r.field() == 3) req.stdin = r.boolean();
    return absl::OkStatus();
  }));
  return req;
}

absl::StatusOr<UpdateTaskRequest> UpdateTaskRequest::Decode(std::string_view data) {
  UpdateTaskRequest req;
  RETURN_IF_ERROR(ForEachField(data, "UpdateTaskRequest", [&](Reader& r) -> absl::Status {
    if (r.field() == 1) req.id = r.string();
    if (r.field() == 2) {
      ASSIGN_OR_RETURN(req.resources, Any::Decode(r.bytes()));
    }
    return absl::OkStatus();
  }));
  return req;
}

absl::StatusOr<ShutdownRequest> ShutdownRequest::Decode(std::string_view data) {
  ShutdownRequest req;
  RETURN_IF_ERROR(ForEachField(data, "ShutdownRequest", [&](Reader& r) {
    if (r.field() == 1) req.id = r.string();
    if (r.field() == 2) req.now = r.boolean();
    return absl::OkStatus();
  }));
  return req;
}

std::string StateResponse::Encode() const {
  Writer w;
  w.String(1, id);
  w.String(2, bundle);
  w.Uint(3, pid);
  w.Uint(4, static_cast<uint64_t>(status));
  w.String(5, stdio.stdin_path);
  w.String(6, stdio.stdout_path);
  w.String(7, stdio.stderr_path);
  w.Bool(8, stdio.terminal);
  w.Uint(9, exit_status);
  if (!exited_at.empty()) w.Message(10, exited_at.Encode());
  w.String(11, exec_id);
  return w.Take();
}

std::string EncodePidResponse(uint32_t pid) {
  Writer w;
  w.Uint(1, pid);
  return w.Take();
}

std::string DeleteResponse::Encode() const {
  Writer w;
  w.Uint(1, pid);
  w.Uint(2, exit_status);
  if (!exited_at.empty()) w.Message(3, exited_at.Encode());
  return w.Take();
}

absl::StatusOr<DeleteResponse> DeleteResponse::Decode(std::string_view data) {
  DeleteResponse resp;
  RETURN_IF_ERROR(ForEachField(data, "DeleteResponse", [&](Reader& r) -> absl::Status {
    if (r.field() == 1) resp.pid = static_cast<uint32_t>(r.varint());
    if (r.field() == 2) resp.exit_status = static_cast<uint32_t>(r.varint());
    if (r.field() == 3) {
      RETURN_IF_ERROR(ForEachField(r.bytes(), "Timestamp", [&](Reader& t) {
        if (t.field() == 1) resp.exited_at.seconds = static_cast<int64_t>(t.varint());
        if (t.field() == 2) resp.exited_at.nanos = static_cast<int32_t>(t.varint());
        return absl::OkStatus();
      }));
    }
    return absl::OkStatus();
  }));
  return resp;
}

std::string EncodeWaitResponse(uint32_t exit_status, const Timestamp& exited_at) {
  Writer w;
  w.Uint(1, exit_status);
  if (!exited_at.empty()) w.Message(2, exited_at.Encode());
  return w.Take();
}

std::string EncodePidsResponse(const std::vector<ProcessInfo>& processes) {
  Writer w;
  for (const auto& p : processes) {
    Writer info;
    info.Uint(1, p.pid);
    if (!p.exec_id.empty()) {
      Writer details;
      details.String(1, p.exec_id);
      info.Message(2, Any{.type_url = "containerd.runc.v1.ProcessDetails", .value = details.Take()}.Encode());
    }
    w.Message(1, info.data());
  }
  return w.Take();
}

std::string EncodeStatsResponse(const Any& stats) {
  Writer w;
  w.Message(1, stats.Encode());
  return w.Take();
}

std::string EncodeConnectResponse(uint32_t shim_pid, uint32_t task_pid) {
  Writer w;
  w.Uint(1, shim_pid);
  w.Uint(2, task_pid);
  return w.Take();
}

}  // namespace berth::shim
