#include "tests/util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace berth::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> MergedEnv(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos && overrides.count(entry.substr(0, eq))) continue;
    env.push_back(std::move(entry));
  }
  for (const auto& [key, value] : overrides) env.push_back(key + "=" + value);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// In the child after fork: only async-signal-safe calls until exec.
[[noreturn]] void ExecChild(int stdin_fd, int stdout_fd, int stderr_fd, char** argv, char** envp,
                            pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
  setpgid(0, 0);                        // own process group: a timeout kills grandchildren too
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  if (dup2(stdin_fd, 0) < 0 || dup2(stdout_fd, 1) < 0 || dup2(stderr_fd, 2) < 0) _exit(127);
  for (int fd = 3; fd < 1024; ++fd) close(fd);
  execvpe(argv[0], argv, envp);
  const char msg[] = "exec failed\n";
  (void)!write(2, msg, sizeof(msg) - 1);
  _exit(127);
}

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

std::string Truncate(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  return s.substr(0, max / 2) + "\n[... " + std::to_string(s.size() - max) + " bytes ...]\n" +
         s.substr(s.size() - max / 2);
}

bool Printable(const std::string& s) {
  for (unsigned char c : s.substr(0, 4096)) {
    if (c < 0x09 || (c > 0x0d && c < 0x20)) return false;
  }
  return true;
}

}  // namespace

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

std::string RunResult::Describe() const {
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  std::string status = timed_out ? "timed out" :
                       term_signal ? "killed by signal " + std::to_string(term_signal) :
                                     "exit code " + std::to_string(exit_code);
  std::string result = "$ " + cmd + "\n  -> " + status + " after " +
                       std::to_string(elapsed.count()) + " ms\n";
  result += "  stdout: " + (Printable(out) ? Truncate(out, 4000)
                                           : "<" + std::to_string(out.size()) + " binary bytes>") + "\n";
  result += "  stderr: " + Truncate(err, 4000) + "\n";
  return result;
}

RunResult RunCommand(const std::vector<std::string>& argv, const RunOptions& options) {
  signal(SIGPIPE, SIG_IGN);
  RunResult result;
  result.argv = argv;
  auto start = Clock::now();

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    result.err = std::string("pipe: ") + strerror(errno);
    return result;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    result.err = std::string("pipe: ") + strerror(errno);
    return result;
  }
  int in_pipe[2] = {-1, -1};
  int stdin_fd = -1;
  if (options.stdin_path) {
    stdin_fd = open(options.stdin_path->c_str(), O_RDONLY | O_CLOEXEC);
  } else if (options.stdin_data) {
    if (pipe2(in_pipe, O_CLOEXEC) == 0) stdin_fd = in_pipe[0];
  } else {
    stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  if (stdin_fd < 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    result.err = "cannot open stdin for child: " + std::string(strerror(errno));
    return result;
  }

  std::vector<std::string> args = argv;
  std::vector<std::string> env = MergedEnv(options.env);
  auto c_args = CStrings(args);
  auto c_env = CStrings(env);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) ExecChild(stdin_fd, out_pipe[1], err_pipe[1], c_args.data(), c_env.data(), parent);
  close(out_pipe[1]);
  close(err_pipe[1]);
  close(stdin_fd);
  if (pid < 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    CloseFd(in_pipe[1]);
    result.err = std::string("fork: ") + strerror(errno);
    return result;
  }

  int in_fd = in_pipe[1];
  size_t in_written = 0;
  if (in_fd >= 0) fcntl(in_fd, F_SETFL, O_NONBLOCK);
  int fds[2] = {out_pipe[0], err_pipe[0]};
  std::string* sinks[2] = {&result.out, &result.err};
  auto deadline = start + options.timeout;
  char buf[65536];
  while (fds[0] >= 0 || fds[1] >= 0 || in_fd >= 0) {
    auto now = Clock::now();
    if (now >= deadline) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      break;
    }
    pollfd pfds[3];
    int n = 0;
    int which[3];
    for (int i = 0; i < 2; ++i) {
      if (fds[i] >= 0) {
        pfds[n] = {fds[i], POLLIN, 0};
        which[n++] = i;
      }
    }
    if (in_fd >= 0) {
      pfds[n] = {in_fd, POLLOUT, 0};
      which[n++] = 2;
    }
    int wait_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
    int r = poll(pfds, n, wait_ms);
    if (r < 0 && errno != EINTR) break;
    for (int i = 0; i < n && r > 0; ++i) {
      if (pfds[i].revents == 0) continue;
      if (which[i] == 2) {
        const std::string& data = *options.stdin_data;
        ssize_t w = write(in_fd, data.data() + in_written, data.size() - in_written);
        if (w > 0) in_written += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN) || in_written == data.size()) CloseFd(in_fd);
        continue;
      }
      int& fd = fds[which[i]];
      ssize_t got = read(fd, buf, sizeof(buf));
      if (got > 0) {
        sinks[which[i]]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        CloseFd(fd);
      }
    }
    if (in_fd >= 0 && in_written == options.stdin_data->size()) CloseFd(in_fd);
  }
  CloseFd(fds[0]);
  CloseFd(fds[1]);
  CloseFd(in_fd);

  int status = 0;
  // Output is closed; the process is exiting (or was killed). Reap it, bounded.
  auto reap_deadline = Clock::now() + std::chrono::seconds(10);
  while (true) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (Clock::now() >= reap_deadline) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status) && !result.timed_out) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return result;
}

std::optional<Child> Child::Start(const std::vector<std::string>& argv, const Options& options,
                                  std::string* error) {
  signal(SIGPIPE, SIG_IGN);  // a child that dies must not kill the test through its stdin pipe
  int out_fd = options.log_path.empty()
                   ? open("/dev/null", O_WRONLY | O_CLOEXEC)
                   : open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out_fd < 0) {
    *error = "open " + options.log_path + ": " + strerror(errno);
    return std::nullopt;
  }
  int in_pipe[2] = {-1, -1};
  int stdin_fd;
  if (options.stdin_pipe) {
    if (pipe2(in_pipe, O_CLOEXEC) != 0) {
      close(out_fd);
      *error = std::string("pipe: ") + strerror(errno);
      return std::nullopt;
    }
    stdin_fd = in_pipe[0];
  } else {
    stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  std::vector<std::string> args = argv;
  std::vector<std::string> env = MergedEnv(options.env);
  auto c_args = CStrings(args);
  auto c_env = CStrings(env);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) ExecChild(stdin_fd, out_fd, out_fd, c_args.data(), c_env.data(), parent);
  close(out_fd);
  close(stdin_fd);
  if (pid < 0) {
    if (in_pipe[1] >= 0) close(in_pipe[1]);
    *error = std::string("fork: ") + strerror(errno);
    return std::nullopt;
  }
  Child child;
  child.pid_ = pid;
  child.stdin_fd_ = in_pipe[1];
  child.argv_ = argv;
  return child;
}

Child::Child(Child&& other) noexcept { *this = std::move(other); }

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    Reset();
    pid_ = other.pid_;
    stdin_fd_ = other.stdin_fd_;
    status_ = other.status_;
    argv_ = std::move(other.argv_);
    other.pid_ = -1;
    other.stdin_fd_ = -1;
    other.status_.reset();
  }
  return *this;
}

Child::~Child() { Reset(); }

void Child::Reset() {
  CloseStdin();
  KillAndReap();
  pid_ = -1;
}

bool Child::Running() {
  if (pid_ < 0 || status_) return false;
  int status;
  pid_t w = waitpid(pid_, &status, WNOHANG);
  if (w == pid_) {
    status_ = status;
    return false;
  }
  return true;
}

bool Child::Signal(int sig) {
  if (!Running()) return false;
  return kill(pid_, sig) == 0;
}

std::optional<int> Child::Wait(std::chrono::milliseconds timeout) {
  if (pid_ < 0) return std::nullopt;
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (!Running()) return status_;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void Child::KillAndReap() {
  if (pid_ < 0 || status_) return;
  if (!Running()) return;
  kill(pid_, SIGKILL);
  int status;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = status;
}

bool Child::WriteStdin(const std::string& data, std::chrono::milliseconds timeout) {
  if (stdin_fd_ < 0) return false;
  fcntl(stdin_fd_, F_SETFL, O_NONBLOCK);
  auto deadline = Clock::now() + timeout;
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = write(stdin_fd_, data.data() + done, data.size() - done);
    if (w >= 0) {
      done += static_cast<size_t>(w);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return false;
    auto now = Clock::now();
    if (now >= deadline) return false;
    pollfd pfd{stdin_fd_, POLLOUT, 0};
    poll(&pfd, 1, static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       deadline - now).count()) + 1);
  }
  return true;
}

void Child::CloseStdin() { CloseFd(stdin_fd_); }

}  // namespace berth::testing
