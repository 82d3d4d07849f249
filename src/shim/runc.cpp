#include "shim/runc.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>
#include <thread>

#include "base/close_on_exec.h"
#include "base/status.h"
#include "nlohmann/json.hpp"
#include "shim/exec_fifo.h"

namespace berth::shim {
namespace {

// Reads both pipes to EOF (or the deadline), so neither can fill up and stall runc.
void DrainPipes(int out_fd, int err_fd, std::string* out, std::string* err,
                std::chrono::steady_clock::time_point deadline) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {out, err};
  int open = 2;
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        fds[i].fd = -1;
        --open;
        continue;
      }
      sinks[i]->append(buf, static_cast<size_t>(r));
    }
  }
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

}  // namespace

Runc::Runc(Reaper* reaper, std::string root, std::string log_path, std::string binary)
    : reaper_(reaper), root_(std::move(root)), log_path_(std::move(log_path)), binary_(std::move(binary)) {}

std::string Runc::LastLoggedError() const {
  absl::StatusOr<std::string> log = ReadSmallFile(log_path_, 64 << 20);
  if (!log.ok()) return "";
  std::istringstream in(*log);
  std::string line, last;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("level", "") == "error") last = j.value("msg", "");
  }
  return last;
}

absl::StatusOr<std::string> Runc::Run(const std::vector<std::string>& args, const ProcessFds* fds,
                                      std::chrono::milliseconds timeout, int nice) {
  std::vector<std::string> argv = {binary_, "--root", root_, "--log", log_path_, "--log-format", "json"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string command = fmt::format("runc {}", args.empty() ? "" : args[0]);
  SpawnOptions spawn{.argv = argv, .nice = nice};
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  UniqueFd out_r, out_w, err_r, err_w;
  if (fds != nullptr) {
    spawn.stdin_fd = fds->stdin_fd;
    spawn.stdout_fd = fds->stdout_fd;
    spawn.stderr_fd = fds->stderr_fd;
  } else {
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
      return ErrnoStatus(errno, "pipe for", command);
    }
    out_r.Reset(out_pipe[0]);
    out_w.Reset(out_pipe[1]);
    err_r.Reset(err_pipe[0]);
    err_w.Reset(err_pipe[1]);
    spawn.stdout_fd = out_w.get();
    spawn.stderr_fd = err_w.get();
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  ASSIGN_OR_RETURN(pid_t pid, reaper_->Spawn(spawn));
  std::string out, err;
  if (fds == nullptr) {
    out_w.Reset();
    err_w.Reset();
    DrainPipes(out_r.get(), err_r.get(), &out, &err, deadline);
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  auto status = reaper_->WaitCommand(pid, std::max(left, std::chrono::milliseconds(1)));
  if (!status.ok()) return WithContext(status.status(), command);
  if (*status != 0) {
    std::string why = LastLoggedError();
    if (why.empty()) why = Trim(err);
    if (why.empty()) why = "no error message";
    uint32_t code = ExitStatusFromWaitStatus(*status);
    std::string msg = fmt::format("{} failed (exit status {}): {}", command, code, why);
    if (why.find("does not exist") != std::string::npos || why.find("not found") != std::string::npos) {
      return absl::NotFoundError(msg);
    }
    return absl::UnknownError(msg);
  }
  return out;
}

absl::Status Runc::Create(const std::string& id, const std::string& bundle, const std::string& pid_file,
                          const std::string& console_socket, const ProcessFds& fds) {
  std::vector<std::string> args = {"create", "--bundle", bundle, "--pid-file", pid_file};
  if (!console_socket.empty()) {
    args.push_back("--console-socket");
    args.push_back(console_socket);
  }
  args.push_back(id);
  return Run(args, &fds).status();
}

absl::Status Runc::Start(const std::string& id, pid_t init_pid) {
  absl::Status released =
      ReleaseThroughExecFifo(fmt::format("{}/{}/exec.fifo", root_, id), init_pid, std::chrono::seconds(30));
  if (!absl::IsNotFound(released)) return released;
  return Run({"start", id}).status();
}

absl::Status Runc::Exec(const std::string& id, const std::string& process_file, const std::string& pid_file,
                        const std::string& console_socket, const ProcessFds& fds) {
  std::vector<std::string> args = {"exec", "--detach", "--process", process_file, "--pid-file", pid_file};
  if (!console_socket.empty()) {
    args.push_back("--console-socket");
    args.push_back(console_socket);
  }
  args.push_back(id);
  return Run(args, &fds).status();
}

absl::Status Runc::Kill(const std::string& id, int signal, bool all) {
  std::vector<std::string> args = {"kill"};
  if (all) args.push_back("--all");
  args.push_back(id);
  args.push_back(std::to_string(signal));
  return Run(args).status();
}

absl::Status Runc::Pause(const std::string& id) { return Run({"pause", id}).status(); }
absl::Status Runc::Resume(const std::string& id) { return Run({"resume", id}).status(); }

absl::Status Runc::Delete(const std::string& id, bool force) {
  std::vector<std::string> args = {"delete"};
  if (force) args.push_back("--force");
  args.push_back(id);
  return Run(args).status();
}

absl::Status Runc::DeleteInBackground(const std::string& id) {
  return Run({"delete", id}, nullptr, std::chrono::seconds(30), /*nice=*/10).status();
}

absl::Status Runc::Update(const std::string& id, const std::string& resources_file) {
  return Run({"update", "--resources", resources_file, id}).status();
}

absl::StatusOr<std::vector<pid_t>> Runc::Ps(const std::string& id) {
  ASSIGN_OR_RETURN(std::string out, Run({"ps", "--format", "json", id}));
  auto j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) {
    return absl::InternalError(fmt::format("runc ps {}: output is not a JSON array: {}", id, out.substr(0, 200)));
  }
  std::vector<pid_t> pids;
  for (const auto& p : j) {
    if (p.is_number_integer()) pids.push_back(p.get<pid_t>());
  }
  return pids;
}

absl::StatusOr<std::string> Runc::Stats(const std::string& id) {
  ASSIGN_OR_RETURN(std::string out, Run({"events", "--stats", id}));
  return Trim(out);
}

absl::StatusOr<pid_t> ReadPidFile(const std::string& path) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    absl::StatusOr<std::string> text = ReadSmallFile(path);
    std::istringstream in(text.ok() ? *text : "");
    pid_t pid = 0;
    if (in >> pid && pid > 0) return pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return absl::NotFoundError(fmt::format("pid file {}: no pid written by runc", path));
}

}  // namespace berth::shim
