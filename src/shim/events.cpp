#include "shim/events.h"

#include "ttrpc/protowire.h"

namespace berth::shim {
namespace {

using protowire::Writer;

Event Make(std::string topic, std::string name, Writer& w) {
  return Event{.topic = std::move(topic), .event = {.type_url = "containerd.events." + name, .value = w.Take()}};
}

}  // namespace

Event TaskCreateEvent(const std::string& container_id, const std::string& bundle, const std::vector<Mount>& rootfs,
                      const Stdio& stdio, uint32_t pid) {
  Writer io;
  io.String(1, stdio.stdin_path);
  io.String(2, stdio.stdout_path);
  io.String(3, stdio.stderr_path);
  io.Bool(4, stdio.terminal);
  Writer w;
  w.String(1, container_id);
  w.String(2, bundle);
  for (const auto& m : rootfs) w.Message(3, m.Encode());
  w.Message(4, io.data());
  w.Uint(6, pid);
  return Make("/tasks/create", "TaskCreate", w);
}

Event TaskStartEvent(const std::string& container_id, uint32_t pid) {
  Writer w;
  w.String(1, container_id);
  w.Uint(2, pid);
  return Make("/tasks/start", "TaskStart", w);
}

Event TaskExitEvent(const std::string& container_id, const std::string& id, uint32_t pid, uint32_t exit_status,
                    const Timestamp& exited_at) {
  Writer w;
  w.String(1, container_id);
  w.String(2, id);
  w.Uint(3, pid);
  w.Uint(4, exit_status);
  w.Message(5, exited_at.Encode());
  return Make("/tasks/exit", "TaskExit", w);
}

Event TaskDeleteEvent(const std::string& container_id, uint32_t pid, uint32_t exit_status,
                      const Timestamp& exited_at) {
  Writer w;
  w.String(1, container_id);
  w.Uint(2, pid);
  w.Uint(3, exit_status);
  w.Message(4, exited_at.Encode());
  return Make("/tasks/delete", "TaskDelete", w);
}

Event TaskExecAddedEvent(const std::string& container_id, const std::string& exec_id) {
  Writer w;
  w.String(1, container_id);
  w.String(2, exec_id);
  return Make("/tasks/exec-added", "TaskExecAdded", w);
}

Event TaskExecStartedEvent(const std::string& container_id, const std::string& exec_id, uint32_t pid) {
  Writer w;
  w.String(1, container_id);
  w.String(2, exec_id);
  w.Uint(3, pid);
  return Make("/tasks/exec-started", "TaskExecStarted", w);
}

Event TaskPausedEvent(const std::string& container_id) {
  Writer w;
  w.String(1, container_id);
  return Make("/tasks/paused", "TaskPaused", w);
}

Event TaskResumedEvent(const std::string& container_id) {
  Writer w;
  w.String(1, container_id);
  return Make("/tasks/resumed", "TaskResumed", w);
}

Event TaskOomEvent(const std::string& container_id) {
  Writer w;
  w.String(1, container_id);
  return Make("/tasks/oom", "TaskOOM", w);
}

std::string EncodeForwardRequest(const Event& event, const std::string& ns, const Timestamp& at) {
  Writer envelope;
  envelope.Message(1, at.Encode());
  envelope.String(2, ns);
  envelope.String(3, event.topic);
  envelope.Message(4, event.event.Encode());
  Writer w;
  w.Message(1, envelope.data());
  return w.Take();
}

}  // namespace berth::shim
