// Task events the shim publishes (containerd/api/events/task.proto), as topic + Any, encoded by hand.
#pragma once

#include <string>

#include "shim/task_api.h"

namespace berth::shim {

struct Event {
  std::string topic;  // "/tasks/exit"
  Any event;          // type_url "containerd.events.TaskExit" (no prefix, as containerd's shims send)
};

Event TaskCreateEvent(const std::string& container_id, const std::string& bundle, const std::vector<Mount>& rootfs,
                      const Stdio& stdio, uint32_t pid);
Event TaskStartEvent(const std::string& container_id, uint32_t pid);
// `id` is the container id for the init process, the exec id for an exec.
Event TaskExitEvent(const std::string& container_id, const std::string& id, uint32_t pid, uint32_t exit_status,
                    const Timestamp& exited_at);
Event TaskDeleteEvent(const std::string& container_id, uint32_t pid, uint32_t exit_status,
                      const Timestamp& exited_at);
Event TaskExecAddedEvent(const std::string& container_id, const std::string& exec_id);
Event TaskExecStartedEvent(const std::string& container_id, const std::string& exec_id, uint32_t pid);
Event TaskPausedEvent(const std::string& container_id);
Event TaskResumedEvent(const std::string& container_id);
Event TaskOomEvent(const std::string& container_id);

// containerd.services.events.ttrpc.v1.ForwardRequest{1 envelope{1 timestamp, 2 namespace, 3 topic, 4 event}}.
std::string EncodeForwardRequest(const Event& event, const std::string& ns, const Timestamp& at);

}  // namespace berth::shim
