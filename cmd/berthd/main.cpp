// berthd: the daemon. Foreground process; SIGTERM or SIGINT stops it cleanly.
#include <signal.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <thread>

#include "base/log.h"
#include "server/config.h"
#include "server/daemon.h"
#include "server/version.h"

int main(int argc, char** argv) {
  berth::server::Config defaults;
  std::string config_file, root, state, address, log_level, metrics_address;
  CLI::App app{"berthd: a containerd-compatible container runtime daemon"};
  app.add_option("--config", config_file, "TOML config file (optional)");
  app.add_option("--root", root, "persistent state (default " + defaults.root + ")");
  app.add_option("--state", state, "runtime state (default " + defaults.state + ")");
  app.add_option("--address", address, "unix socket to serve on (default " + defaults.address + ")");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  app.add_option("--metrics-address", metrics_address,
                 "serve Prometheus metrics at http://HOST:PORT/v1/metrics, e.g. 127.0.0.1:1338 (default off)");
  app.set_version_flag("--version", std::string("berthd ") + berth::server::kVersion);
  CLI11_PARSE(app, argc, argv);

  berth::server::Config config = defaults;
  if (!config_file.empty()) {
    auto loaded = berth::server::LoadConfigFile(config_file, config);
    if (!loaded.ok()) {
      std::fprintf(stderr, "berthd: %s\n", std::string(loaded.status().message()).c_str());
      return 1;
    }
    config = *loaded;
  }
  if (!root.empty()) config.root = root;
  if (!state.empty()) config.state = state;
  if (!address.empty()) config.address = address;
  if (!log_level.empty()) config.log_level = log_level;
  if (!metrics_address.empty()) config.metrics_address = metrics_address;

  auto level = berth::log::ParseLevel(config.log_level);
  if (!level.ok()) {
    std::fprintf(stderr, "berthd: %s\n", std::string(level.status().message()).c_str());
    return 1;
  }
  berth::log::SetLevel(*level);
  ::umask(0077);  // everything we create is private unless chmod'ed on purpose

  // Block the stop signals before any thread starts, then take them on one thread of our own.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto daemon = berth::server::Daemon::Open(config);
  if (!daemon.ok()) {
    berth::log::Error("berthd: {}", std::string(daemon.status().message()));
    return 1;
  }
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    berth::log::Info("berthd: signal {}, shutting down", sig);
    (*daemon)->Shutdown();
  });
  (*daemon)->Wait();
  signal_thread.join();
  daemon->reset();
  berth::log::Info("berthd: stopped");
  return 0;
}
