#include "signal_proxy.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

#include <cstdio>

#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"

namespace berth::cli {

namespace {

sigset_t ForwardedSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&set, sig);
  return set;
}

}  // namespace

SignalProxy::SignalProxy(const Globals& g) : g_(g) {
  // Blocked here, they stay blocked in every thread started later (gRPC's, stdio copiers'), so only Loop's
  // sigtimedwait takes them.
  sigset_t set = ForwardedSignals();
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction current {};
    if (sigismember(&set, sig) == 1 && ::sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) {
      ignored_.insert(sig);  // e.g. SIGHUP under nohup: not ours to act on, so not the task's either
    }
  }
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this] { Loop(); });
}

SignalProxy::~SignalProxy() {
  stop_ = true;
  thread_.join();
}

void SignalProxy::ForwardTo(const std::string& container_id) {
  std::lock_guard lock(mu_);
  container_id_ = container_id;
}

void SignalProxy::Loop() {
  sigset_t set = ForwardedSignals();
  const struct timespec tick = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
  while (!stop_) {
    int sig = sigtimedwait(&set, nullptr, &tick);
    if (sig > 0) Deliver(sig);
  }
}

void SignalProxy::Deliver(int sig) {
  if (ignored_.contains(sig)) return;
  std::string id;
  {
    std::lock_guard lock(mu_);
    id = container_id_;
  }
  if (id.empty()) {
    // No task yet: what the signal would have done to berth unproxied (its default action ends the process).
    ::signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    ::raise(sig);
    return;
  }
  containerd::services::tasks::v1::KillRequest req;
  req.set_container_id(id);
  req.set_signal(static_cast<uint32_t>(sig));
  google::protobuf::Empty empty;
  grpc::Status s = containerd::services::tasks::v1::Tasks::NewStub(Connect(g_))->Kill(CallContext(g_).get(), req, &empty);
  if (!s.ok()) {
    std::fprintf(stderr, "berth: forward SIG%s to %s: %s\n", sigabbrev_np(sig), id.c_str(), s.error_message().c_str());
  }
}

}  // namespace berth::cli
