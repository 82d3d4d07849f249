// The cells of `berth ps`, as docker and nerdctl word them: "5 minutes ago", "Up 3 minutes",
// "Exited (137) 1 second ago, OOM killed". Pure functions of their inputs (and `now`), for unit tests.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace berth::cli {

// go-units HumanDuration: "Less than a second", "1 second", "12 seconds", "About a minute", "5 minutes",
// "About an hour", "3 hours", "4 days", "2 weeks", "3 months", "2 years".
std::string HumanDuration(absl::Duration d);

// What `berth ps` knows of a container's task (none: the container has no task).
struct TaskView {
  bool present = false;
  std::string status;  // created, running, paused, pausing, stopped, unknown
  uint32_t exit_code = 0;
  absl::Time exited_at = absl::InfinitePast();
  absl::Time started_at = absl::InfinitePast();
  std::string reason;  // "exited", "killed by SIGKILL", "OOM killed", "shim died"; "" when not known
};

// "Created", "Up 3 minutes", "Up 3 minutes (Paused)", "Pausing", "Exited (0) 2 minutes ago",
// "Exited (137) 1 second ago, killed by SIGKILL", "Unknown". A plain "exited" reason is not repeated.
std::string StatusText(const TaskView& task, absl::Time now);

// A process's args as one quoted cell, at most `width` characters inside the quotes ("..." when cut).
std::string CommandText(const std::vector<std::string>& args, size_t width = 20);

// Lines of left-aligned columns, each as wide as its widest cell, separated by three spaces (nerdctl's tabwriter).
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace berth::cli
