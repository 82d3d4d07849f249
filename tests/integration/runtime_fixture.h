#pragma once
// The fixture of the containers/tasks/events/runtime integration tests: a fresh daemon (berthd, or containerd with
// BERTH_TEST_DAEMON=containerd, finding containerd-shim-berth-v1 on its PATH), a busybox image imported into a
// namespace unique to the test (runc's default cgroup path is /<namespace>/<id>, shared by parallel tests), and a
// TearDown that leaves no task or container behind.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/util/busybox.h"
#include "tests/util/ctr.h"
#include "tests/util/daemon.h"
#include "tests/util/files.h"
#include "tests/util/mounts.h"
#include "tests/util/processes.h"

namespace berth::testing {

inline constexpr char kBusybox[] = "docker.io/library/bbox:v1";
inline constexpr char kBerthRuntime[] = "io.containerd.berth.v1";
inline constexpr char kRuncRuntime[] = "io.containerd.runc.v2";

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "these tests run containers: they need root";
    ASSERT_TRUE(daemon_.Start());
    ASSERT_TRUE(ImportBusybox(ctr(), scratch_.Join("image"), kBusybox));
  }

  void TearDown() override {
    for (const auto& id : Lines(ctr().Run({"containers", "ls", "-q"}).out)) {
      ctr().Run({"tasks", "kill", "-s", "SIGKILL", id});
      WaitFor([&] { return TaskStatus(id) != "RUNNING"; }, std::chrono::seconds(10));
      ctr().Run({"tasks", "delete", id});
      ctr().Run({"containers", "rm", id});
    }
  }

  Ctr ctr() const { return daemon_.ctr(ns_); }

  // `ctr run --runtime <runtime> ARGS...`
  RunResult Run(const std::vector<std::string>& args, const std::string& runtime = kBerthRuntime,
                const RunOptions& options = {}) const {
    std::vector<std::string> argv = {"run", "--runtime", runtime};
    argv.insert(argv.end(), args.begin(), args.end());
    return ctr().Run(argv, options);
  }

  // This build's `berth --address <socket> --namespace <ns> ARGS...`.
  RunResult Berth(const std::vector<std::string>& args, const RunOptions& options = {}) const {
    std::vector<std::string> argv = {std::string(BERTH_BIN_DIR) + "/berth", "--address", daemon_.socket(),
                                     "--namespace", ns_};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, options);
  }

  // The STATUS column of `tasks ls` for id ("" if not listed).
  std::string TaskStatus(const std::string& id) const {
    auto fields = Fields(RowWithKey(ctr().Run({"tasks", "ls"}).out, id));
    return fields.size() >= 3 ? fields[2] : "";
  }
  // The PID column of `tasks ls` for id (0 if not listed).
  pid_t TaskPid(const std::string& id) const {
    auto fields = Fields(RowWithKey(ctr().Run({"tasks", "ls"}).out, id));
    return fields.size() >= 2 ? std::stoi(fields[1]) : 0;
  }

  std::vector<pid_t> Shims(const std::string& id) const {
    return ProcessesMatching({"containerd-shim-", "-namespace " + ns_, "-id " + id, daemon_.socket()});
  }
  std::vector<pid_t> AllShims() const { return ProcessesMatching({"containerd-shim-", daemon_.socket()}); }

  std::string BundleDir() const { return daemon_.state() + "/io.containerd.runtime.v2.task/" + ns_; }
  std::vector<std::string> Bundles() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(BundleDir(), ec)) out.push_back(e.path());
    return out;
  }

  Daemon daemon_{Daemon::Options{.path_prefix = BERTH_BIN_DIR}};
  TempDir scratch_{"berth-runtime-it"};
  std::string ns_ = std::string("rt-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
};

}  // namespace berth::testing
