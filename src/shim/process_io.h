// A process's stdio, wired to the FIFOs the client created (paths in Create/Exec; "" = stream unused).
//
// Without a terminal the container gets the stdout/stderr FIFOs themselves (opened O_RDWR so opening never
// blocks on a missing reader): no copying, and the reader sees EOF when the last container process exits.
// stdin goes through a pipe fed by a copy thread, so CloseIO can close it while the client keeps its end.
// With a terminal, runc hands over the pty master; threads copy stdin FIFO → master → stdout FIFO.
#pragma once

#include <chrono>
#include <mutex>
#include <condition_variable>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "shim/runc.h"
#include "shim/task_api.h"

namespace berth::shim {

class ProcessIo {
 public:
  static absl::StatusOr<std::unique_ptr<ProcessIo>> Open(const Stdio& stdio);
  ProcessIo(const ProcessIo&) = delete;
  ProcessIo& operator=(const ProcessIo&) = delete;
  ~ProcessIo();  // stops the copy threads

  // What runc passes to the process (without a terminal).
  ProcessFds fds() const;
  // After runc create/exec returned: the process holds its fds; dropping ours lets readers see EOF at its exit.
  void ReleaseProcessSide();
  // Terminal processes: start copying between the FIFOs and the pty master.
  absl::Status AttachConsole(UniqueFd master);
  absl::Status Resize(uint32_t width, uint32_t height);
  // Closes the process's stdin (CloseIO{stdin: true}) once what the client already wrote is copied.
  void CloseStdin();
  // Waits (bounded) until the terminal output has been copied to the end, so it arrives before the exit status.
  void WaitOutput(std::chrono::milliseconds timeout);

 private:
  ProcessIo() = default;
  void CopyStdin(int dst);
  void CopyConsoleOutput();

  Stdio stdio_;
  UniqueFd stdin_fifo_, stdin_pipe_read_, stdin_pipe_write_;
  UniqueFd stdout_fifo_, stderr_fifo_;
  UniqueFd master_;
  UniqueFd cancel_;        // eventfd: stops both copy threads
  UniqueFd stdin_cancel_;  // eventfd: CloseIO, the stdin copy drains the FIFO and stops
  std::thread stdin_thread_, output_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool output_done_ = true;
};

}  // namespace berth::shim
