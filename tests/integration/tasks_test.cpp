// tasks.v1.Tasks through the stock ctr on berthd's runtime manager: foreground, detached and terminal runs, exec,
// pause/resume, metrics, kill, delete, and what ctr prints and exits with.

#include <sys/wait.h>

#include <map>
#include <thread>

#include "tests/integration/runtime_fixture.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

using TasksTest = RuntimeTest;

// One line of `ctr events`: "<time> <namespace> <topic> <event as JSON>".
struct EventLine {
  std::string topic, json;
};

std::vector<EventLine> ParseEvents(const std::string& log) {
  std::vector<EventLine> events;
  for (const auto& line : Lines(log)) {
    size_t topic = line.find(" /");
    if (topic == std::string::npos) continue;
    size_t end = line.find(' ', topic + 1);
    if (end == std::string::npos) continue;
    events.push_back({line.substr(topic + 1, end - topic - 1), line.substr(end + 1)});
  }
  return events;
}

// The string value of "key":"..." in an event's JSON ("" if absent). `"id":"` does not match inside
// `"container_id":"`.
std::string JsonField(const std::string& json, const std::string& key) {
  std::string needle = "\"" + key + "\":\"";
  size_t at = json.find(needle);
  if (at == std::string::npos) return "";
  at += needle.size();
  return json.substr(at, json.find('"', at) - at);
}

// 4 MiB that no shorter pattern repeats: a dropped, doubled or reordered chunk changes the digest.
std::string NoisyBytes(size_t size) {
  std::string data(size, '\0');
  uint64_t x = 88172645463325252ull;
  for (auto& c : data) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return data;
}

TEST_F(TasksTest, RunRmPrintsOutputAndExitsWithTheProcessStatus) {
  auto hi = Run({"--rm", kBusybox, "hi", "echo", "hi"});
  ASSERT_CTR_OK(hi);
  EXPECT_EQ(hi.out, "hi\n");
  auto seven = Run({"--rm", kBusybox, "seven", "sh", "-c", "echo out; echo err >&2; exit 7"});
  EXPECT_EQ(seven.exit_code, 7) << seven.Describe();
  EXPECT_EQ(seven.out, "out\n");
  EXPECT_THAT(seven.err, HasSubstr("err\n"));
  auto cat = Run({"--rm", kBusybox, "cat", "cat"}, kBerthRuntime, {.stdin_data = std::string("piped\n")});
  ASSERT_CTR_OK(cat);
  EXPECT_EQ(cat.out, "piped\n");
  // Nothing is left: no container, task, shim, bundle or mount.
  EXPECT_TRUE(Lines(ctr().Run({"containers", "ls", "-q"}).out).empty());
  EXPECT_TRUE(Lines(ctr().Run({"tasks", "ls", "-q"}).out).empty());
  EXPECT_TRUE(WaitFor([&] { return AllShims().empty(); }, std::chrono::seconds(10)));
  EXPECT_TRUE(WaitFor([&] { return Bundles().empty(); }, std::chrono::seconds(10)));
  EXPECT_TRUE(MountPointsUnder(daemon_.dir()).empty());
}

TEST_F(TasksTest, DetachedTaskLifecycle) {
  ASSERT_CTR_OK(Run({"-d", kBusybox, "d1", "sleep", "1000"}));
  EXPECT_EQ(TaskStatus("d1"), "RUNNING");
  pid_t pid = TaskPid("d1");
  ASSERT_GT(pid, 0);
  // The shim holds nothing of the daemon's (no metadata database, no socket it did not open itself).
  auto shims = Shims("d1");
  ASSERT_EQ(shims.size(), 1u);
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(shims[0]) + "/fd", ec)) {
    std::string target = std::filesystem::read_symlink(fd.path(), ec).string();
    EXPECT_EQ(target.find(daemon_.root()), std::string::npos) << "shim inherited " << target;
  }
  auto ps = ctr().Run({"tasks", "ps", "d1"});
  ASSERT_CTR_OK(ps);
  EXPECT_THAT(ps.out, HasSubstr(std::to_string(pid)));

  auto exec = ctr().Run({"tasks", "exec", "--exec-id", "e1", "d1", "sh", "-c", "echo from-exec; exit 3"});
  EXPECT_EQ(exec.exit_code, 3) << exec.Describe();
  EXPECT_EQ(exec.out, "from-exec\n");

  ASSERT_CTR_OK(ctr().Run({"tasks", "pause", "d1"}));
  EXPECT_EQ(TaskStatus("d1"), "PAUSED");
  ASSERT_CTR_OK(ctr().Run({"tasks", "resume", "d1"}));
  EXPECT_EQ(TaskStatus("d1"), "RUNNING");

  auto metrics = ctr().Run({"tasks", "metrics", "d1"});
  ASSERT_CTR_OK(metrics);
  EXPECT_THAT(metrics.out, HasSubstr("pids.current"));

  // A running task cannot be deleted, with containerd's message.
  auto early = ctr().Run({"tasks", "delete", "d1"});
  EXPECT_CTR_FAILS(early);
  EXPECT_THAT(early.err, HasSubstr("task must be stopped before deletion: running"));

  ASSERT_CTR_OK(ctr().Run({"tasks", "kill", "-s", "SIGKILL", "d1"}));
  ASSERT_TRUE(WaitFor([&] { return TaskStatus("d1") == "STOPPED"; }, std::chrono::seconds(10)))
      << ctr().Run({"tasks", "ls"}).out;
  ASSERT_CTR_OK(ctr().Run({"tasks", "delete", "d1"}));
  EXPECT_EQ(TaskStatus("d1"), "");
  // The container runs again at once: in a new shim, not in the old one on its way out.
  ASSERT_CTR_OK(ctr().Run({"tasks", "start", "-d", "d1"}));
  EXPECT_EQ(TaskStatus("d1"), "RUNNING");
  ASSERT_CTR_OK(ctr().Run({"tasks", "kill", "-s", "SIGKILL", "d1"}));
  ASSERT_TRUE(WaitFor([&] { return TaskStatus("d1") == "STOPPED"; }, std::chrono::seconds(10)));
  ASSERT_CTR_OK(ctr().Run({"tasks", "delete", "d1"}));
  EXPECT_TRUE(WaitFor([&] { return Shims("d1").empty(); }, std::chrono::seconds(10)));
  auto missing = ctr().Run({"tasks", "delete", "d1"});
  EXPECT_CTR_FAILS(missing);
  ASSERT_CTR_OK(ctr().Run({"containers", "rm", "d1"}));
  EXPECT_TRUE(MountPointsUnder(daemon_.dir()).empty());
}

TEST_F(TasksTest, ProcessesLeftByTheInitOfAContainerInASharedPidNamespaceDieWithIt) {
  // In a pid namespace it does not own (here another container's, as in a pod), nothing in the kernel ends them
  // with the init; containerd's shim kills them at the init's exit, before anyone deletes the task.
  ASSERT_CTR_OK(Run({"-d", kBusybox, "pod", "sleep", "1000"}));
  const std::string marker = std::to_string(30000 + ::getpid() % 10000);
  auto run = Run({"-d", "--with-ns", "pid:/proc/" + std::to_string(TaskPid("pod")) + "/ns/pid", kBusybox, "member",
                  "sh", "-c", "sleep " + marker + " & sleep 0.5"});
  ASSERT_CTR_OK(run);
  ASSERT_TRUE(WaitFor([&] { return !ProcessesMatching({"sleep " + marker}).empty(); }, std::chrono::seconds(5)));
  ASSERT_TRUE(WaitFor([&] { return TaskStatus("member") == "STOPPED"; }, std::chrono::seconds(10)));
  EXPECT_TRUE(WaitFor([&] { return ProcessesMatching({"sleep " + marker}).empty(); }, std::chrono::seconds(5)))
      << "left running after its init exited";
  EXPECT_EQ(TaskStatus("pod"), "RUNNING");
  ASSERT_CTR_OK(ctr().Run({"tasks", "delete", "member"}));
}

TEST_F(TasksTest, AProcessThatCannotStartFailsPromptlyAndLeavesNothingBehind) {
  // ctr waits for EOF on the process's output FIFOs before it reports a failed start: the shim must close
  // its ends of them, or ctr hangs.
  constexpr auto kDeadline = std::chrono::seconds(20);
  ASSERT_CTR_OK(Run({"-d", kBusybox, "host", "sleep", "1000"}));
  auto exec = ctr().Run({"tasks", "exec", "--exec-id", "bad", "host", "no-such-binary"}, {.timeout = kDeadline});
  EXPECT_FALSE(exec.timed_out) << exec.Describe();
  EXPECT_CTR_FAILS(exec);
  EXPECT_THAT(exec.err, HasSubstr("no-such-binary"));
  // Nothing stays blocked on the failed execs (ctr waits on an exec before it starts it, and a Wait must
  // answer once the start failed): the shim's thread count does not grow with them.
  auto shims = Shims("host");
  ASSERT_EQ(shims.size(), 1u);
  size_t threads_before = ThreadCount(shims[0]);
  for (int i = 0; i < 8; ++i) {
    EXPECT_CTR_FAILS(ctr().Run({"tasks", "exec", "--exec-id", "bad" + std::to_string(i), "host", "no-such-binary"},
                               {.timeout = kDeadline}));
  }
  EXPECT_LT(ThreadCount(shims[0]), threads_before + 5);  // blocked, the 8 waits would add 8
  // The exec id is free again, and the container is unharmed.
  auto again = ctr().Run({"tasks", "exec", "--exec-id", "bad", "host", "sh", "-c", "echo again"});
  ASSERT_CTR_OK(again);
  EXPECT_EQ(again.out, "again\n");
  EXPECT_EQ(TaskStatus("host"), "RUNNING");

  auto run = Run({"--rm", kBusybox, "never", "no-such-binary"}, kBerthRuntime, {.timeout = kDeadline});
  EXPECT_FALSE(run.timed_out) << run.Describe();
  EXPECT_CTR_FAILS(run);
  EXPECT_THAT(run.err, HasSubstr("no-such-binary"));
  EXPECT_EQ(TaskStatus("never"), "");
  EXPECT_THAT(ctr().Run({"containers", "ls", "-q"}).out, ::testing::Not(HasSubstr("never")));
  EXPECT_TRUE(WaitFor([&] { return Shims("never").empty(); }, std::chrono::seconds(10)));
}

TEST_F(TasksTest, ClientsThatLeaveMidWaitHoldNothing) {
  // ctr waits on every process it starts. Killed meanwhile, it leaves no call blocked in berthd or the shim: the
  // shim's thread count comes back down instead of growing with every client that went away.
  if (daemon_.kind() != DaemonKind::kBerthd) {
    // containerd asks a shim to Wait without a deadline, and ttrpc has no cancel: no shim can tell that the
    // waiter left (containerd's own keeps a goroutine per such wait until the process exits).
    GTEST_SKIP() << "berthd's waits, in slices it can stop";
  }
  ASSERT_CTR_OK(Run({"-d", kBusybox, "host", "sleep", "1000"}));
  auto shims = Shims("host");
  ASSERT_EQ(shims.size(), 1u);
  size_t threads_before = ThreadCount(shims[0]);
  std::vector<Child> waiting;
  for (int i = 0; i < 8; ++i) {
    std::string error;
    auto child = ctr().Start({"tasks", "exec", "--exec-id", "w" + std::to_string(i), "host", "sleep", "1000"},
                             scratch_.Join("exec.log"), &error);
    ASSERT_TRUE(child) << error;
    waiting.push_back(std::move(*child));
  }
  // Every exec has started, so every ctr is in its Wait.
  ASSERT_TRUE(WaitFor([&] { return Lines(ctr().Run({"tasks", "ps", "host"}).out).size() == 1 + 1 + 8; },
                      std::chrono::seconds(30)))
      << ctr().Run({"tasks", "ps", "host"}).out;
  for (auto& child : waiting) child.KillAndReap();
  EXPECT_TRUE(WaitFor([&] { return ThreadCount(shims[0]) < threads_before + 2; }, std::chrono::seconds(30)))
      << ThreadCount(shims[0]) << " threads in the shim, " << threads_before << " before the execs";
}

TEST_F(TasksTest, TerminalRunGoesThroughAPty) {
  std::string command = "ctr --address " + daemon_.socket() + " --namespace " + ns_ + " run --rm -t --runtime " +
                        kBerthRuntime + " " + kBusybox + " t1 sh -c 'tty; exit 5'";
  auto r = RunCommand({"script", "-qec", command, "/dev/null"}, {.timeout = std::chrono::seconds(60)});
  EXPECT_EQ(r.exit_code, 5) << r.Describe();
  EXPECT_THAT(r.out, HasSubstr("/dev/pts/"));
  EXPECT_TRUE(WaitFor([&] { return Shims("t1").empty(); }, std::chrono::seconds(10)));
}

TEST_F(TasksTest, CheckpointIsUnimplementedAndUnknownTasksAreNotFound) {
  auto missing = ctr().Run({"tasks", "kill", "ghost"});
  EXPECT_CTR_FAILS(missing);
  EXPECT_THAT(missing.err, HasSubstr("not found"));
  ASSERT_CTR_OK(Run({"-d", kBusybox, "cp", "sleep", "1000"}));
  auto checkpoint = ctr().Run({"tasks", "checkpoint", "cp"});
  EXPECT_CTR_FAILS(checkpoint);
}

TEST_F(TasksTest, EventsShowTheLifecycle) {
  std::string error;
  auto events = ctr().Start({"events"}, scratch_.Join("events.log"), &error);
  ASSERT_TRUE(events) << error;
  // A second subscriber with a filter (containerd's syntax) sees only what matches.
  auto starts = ctr().Start({"events", "topic==\"/tasks/start\""}, scratch_.Join("starts.log"), &error);
  ASSERT_TRUE(starts) << error;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // subscribed before the run
  ASSERT_CTR_OK(Run({"--rm", kBusybox, "ev", "true"}));
  std::string log;
  EXPECT_TRUE(WaitFor(
      [&] {
        log = TailOfFile(scratch_.Join("events.log"));
        return log.find("/containers/delete") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << log;
  // In containerd's order, /tasks/start before /tasks/exit even for a process as short as `true`.
  size_t last = 0;
  for (const char* topic : {"/snapshot/prepare", "/containers/create", "/tasks/create", "/tasks/start",
                            "/tasks/exit", "/tasks/delete", "/snapshot/remove", "/containers/delete"}) {
    size_t at = log.find(topic);
    EXPECT_NE(at, std::string::npos) << topic << " missing in\n" << log;
    if (at == std::string::npos) continue;
    EXPECT_GE(at, last) << topic << " out of order in\n" << log;
    last = at;
  }
  EXPECT_THAT(log, HasSubstr(ns_));
  std::string filtered = TailOfFile(scratch_.Join("starts.log"));
  EXPECT_THAT(filtered, HasSubstr("/tasks/start"));
  EXPECT_EQ(filtered.find("/tasks/create"), std::string::npos) << filtered;
  EXPECT_EQ(filtered.find("/containers/"), std::string::npos) << filtered;
}

TEST_F(TasksTest, StartAndExecStartedAlwaysPrecedeTheExit) {
  std::string error;
  std::string path = scratch_.Join("events.log");
  auto events = ctr().Start({"events"}, path, &error);
  ASSERT_TRUE(events) << error;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // subscribed before the first run
  ASSERT_CTR_OK(Run({"-d", kBusybox, "host", "sleep", "1000"}));
  // `true` exits at once: its exit often reaches the shim before the Start call that ran it has returned.
  constexpr int kExecs = 30, kRuns = 5;
  std::vector<std::string> ids;
  for (int i = 0; i < kExecs; ++i) {
    ids.push_back("x" + std::to_string(i));
    ASSERT_CTR_OK(ctr().Run({"tasks", "exec", "--exec-id", ids.back(), "host", "true"}));
  }
  for (int i = 0; i < kRuns; ++i) {
    ids.push_back("quick" + std::to_string(i));
    ASSERT_CTR_OK(Run({"--rm", kBusybox, ids.back(), "true"}));
  }
  // Per process (exec id, or container id for an init): where its start and its exit are in the stream.
  std::map<std::string, size_t> started, exited;
  std::vector<EventLine> seen;
  auto complete = [&] {
    seen = ParseEvents(TailOfFile(path, 8 << 20));
    started.clear();
    exited.clear();
    for (size_t i = 0; i < seen.size(); ++i) {
      if (seen[i].topic == "/tasks/exec-started") started.emplace(JsonField(seen[i].json, "exec_id"), i);
      if (seen[i].topic == "/tasks/start") started.emplace(JsonField(seen[i].json, "container_id"), i);
      if (seen[i].topic == "/tasks/exit") exited.emplace(JsonField(seen[i].json, "id"), i);
    }
    for (const auto& id : ids) {
      if (started.count(id) == 0 || exited.count(id) == 0) return false;
    }
    return true;
  };
  EXPECT_TRUE(WaitFor(complete, std::chrono::seconds(10))) << TailOfFile(path);
  for (const auto& id : ids) {
    if (started.count(id) == 0 || exited.count(id) == 0) {
      ADD_FAILURE() << id << ": start or exit event missing";
      continue;
    }
    EXPECT_LT(started[id], exited[id]) << id << ": /tasks/exit (event " << exited[id]
                                       << ") came before its start (event " << started[id] << ")\n"
                                       << TailOfFile(path);
  }
}

TEST_F(TasksTest, LargeStdinArrivesWholeThroughRunAndExec) {
  const std::string data = NoisyBytes(4 << 20);
  // busybox sha256sum prints "<hex>  -".
  const std::string want = Sha256Digest(data).substr(std::string("sha256:").size()) + "  -\n";
  // ctr sends CloseIO as soon as its own stdin ends, while the last bytes may still be in the FIFO.
  for (int i = 0; i < 3; ++i) {
    auto r = Run({"--rm", kBusybox, "in" + std::to_string(i), "busybox", "sha256sum"}, kBerthRuntime,
                 {.stdin_data = data});
    ASSERT_CTR_OK(r);
    EXPECT_EQ(r.out, want) << "ctr run, attempt " << i;
  }
  ASSERT_CTR_OK(Run({"-d", kBusybox, "host", "sleep", "1000"}));
  for (int i = 0; i < 3; ++i) {
    auto r = ctr().Run({"tasks", "exec", "--exec-id", "in" + std::to_string(i), "host", "busybox", "sha256sum"},
                       {.stdin_data = data});
    ASSERT_CTR_OK(r);
    EXPECT_EQ(r.out, want) << "ctr tasks exec, attempt " << i;
  }
  auto count = ctr().Run({"tasks", "exec", "--exec-id", "count", "host", "busybox", "wc", "-c"}, {.stdin_data = data});
  ASSERT_CTR_OK(count);
  EXPECT_EQ(count.out, std::to_string(data.size()) + "\n");
}

TEST_F(TasksTest, AttachSeesTheOutputOfADetachedTask) {
  // Four seconds of ticks, then exit 3: `ctr tasks attach` sees the ticks written after it attached, the
  // last line, and returns the task's exit status.
  ASSERT_CTR_OK(Run({"-d", kBusybox, "att", "sh", "-c",
                     "i=0; while [ $i -lt 20 ]; do echo tick-$i; i=$((i+1)); sleep 0.2; done; echo done; exit 3"}));
  std::string error;
  std::string log = scratch_.Join("attach.log");
  auto attach = ctr().Start({"tasks", "attach", "att"}, log, &error);
  ASSERT_TRUE(attach) << error;
  std::optional<int> status = attach->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(status) << "ctr tasks attach still running after the task ended\n" << TailOfFile(log);
  std::string out = TailOfFile(log);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 3) << DescribeWaitStatus(*status) << "\n" << out;
  EXPECT_THAT(out, HasSubstr("tick-19\ndone\n"));
  // ctr deletes the task it attached to once it exited.
  EXPECT_EQ(TaskStatus("att"), "");
}

TEST_F(TasksTest, EventsFromImagesAndNamespaces) {
  std::string error;
  auto events = ctr().Start({"events"}, scratch_.Join("events.log"), &error);
  ASSERT_TRUE(events) << error;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_CTR_OK(ctr().Run({"images", "tag", kBusybox, "docker.io/library/copy:v2"}));
  ASSERT_CTR_OK(ctr().Run({"images", "rm", "docker.io/library/copy:v2"}));
  ASSERT_CTR_OK(ctr().Run({"namespaces", "label", ns_, "team=infra"}));
  std::string log;
  EXPECT_TRUE(WaitFor(
      [&] {
        log = TailOfFile(scratch_.Join("events.log"));
        return log.find("/namespaces/update") != std::string::npos;
      },
      std::chrono::seconds(10)))
      << log;
  EXPECT_THAT(log, HasSubstr("/images/create"));
  EXPECT_THAT(log, HasSubstr("/images/delete"));
  EXPECT_THAT(log, HasSubstr("docker.io/library/copy:v2"));
}

}  // namespace
}  // namespace berth::testing

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using BerthCliTest = RuntimeTest;

TEST_F(BerthCliTest, RunPsExecKillRm) {
  auto hi = Berth({"run", "--rm", "--name", "b1", kBusybox, "echo", "hi"});
  ASSERT_TRUE(hi.ok()) << hi.Describe();
  EXPECT_EQ(hi.out, "hi\n");
  auto three = Berth({"run", "--rm", kBusybox, "sh", "-c", "echo err >&2; exit 3"});
  EXPECT_EQ(three.exit_code, 3) << three.Describe();
  EXPECT_THAT(three.err, HasSubstr("err"));
  auto piped = Berth({"run", "--rm", "-i", kBusybox, "cat"}, {.stdin_data = std::string("through stdin\n")});
  ASSERT_TRUE(piped.ok()) << piped.Describe();
  EXPECT_EQ(piped.out, "through stdin\n");
  EXPECT_TRUE(Lines(ctr().Run({"containers", "ls", "-q"}).out).empty());

  auto d = Berth({"run", "-d", "--name", "web", kBusybox, "sleep", "1000"});
  ASSERT_TRUE(d.ok()) << d.Describe();
  EXPECT_EQ(d.out, "web\n");
  auto again = Berth({"run", "-d", "--name", "web", kBusybox, "sleep", "1000"});
  EXPECT_FALSE(again.ok());
  EXPECT_THAT(again.err, HasSubstr("the name web is already in use"));
  auto ps = Berth({"ps"});
  ASSERT_TRUE(ps.ok()) << ps.Describe();
  EXPECT_THAT(ps.out, HasSubstr("CONTAINER ID"));
  std::string row = RowWithKey(ps.out, "web");
  EXPECT_THAT(row, HasSubstr(kBusybox));
  EXPECT_THAT(row, HasSubstr("\"sleep 1000\""));
  EXPECT_THAT(row, HasSubstr("Up"));

  auto exec = Berth({"exec", "web", "sh", "-c", "echo in-web; exit 4"});
  EXPECT_EQ(exec.exit_code, 4) << exec.Describe();
  EXPECT_EQ(exec.out, "in-web\n");

  EXPECT_FALSE(Berth({"rm", "web"}).ok());  // running: refused without -f
  ASSERT_TRUE(Berth({"kill", "web"}).ok());  // SIGKILL, as nerdctl: sleep as pid 1 ignores SIGTERM
  ASSERT_TRUE(WaitFor([&] { return TaskStatus("web") == "STOPPED"; }, std::chrono::seconds(10)));
  EXPECT_THAT(Berth({"ps"}).out, Not(HasSubstr("web")));  // only running ones without -a
  EXPECT_THAT(RowWithKey(Berth({"ps", "-a"}).out, "web"), HasSubstr("Exited (137)"));
  auto rm = Berth({"rm", "web"});
  ASSERT_TRUE(rm.ok()) << rm.Describe();
  EXPECT_THAT(Berth({"ps", "-a"}).out, Not(HasSubstr("web")));
  EXPECT_THAT(ctr().Run({"snapshots", "ls"}).out, Not(HasSubstr("web")));

  ASSERT_TRUE(Berth({"run", "-d", "--name", "forced", kBusybox, "sleep", "1000"}).ok());
  auto forced = Berth({"rm", "-f", "forced"});
  EXPECT_TRUE(forced.ok()) << forced.Describe();
  EXPECT_TRUE(MountPointsUnder(daemon_.dir()).empty());
}

TEST_F(BerthCliTest, RunWithATerminal) {
  std::string command = std::string(BERTH_BIN_DIR) + "/berth --address " + daemon_.socket() + " --namespace " + ns_ +
                        " run --rm -t " + kBusybox + " sh -c 'tty; exit 5'";
  auto r = RunCommand({"script", "-qec", command, "/dev/null"}, {.timeout = std::chrono::seconds(60)});
  EXPECT_EQ(r.exit_code, 5) << r.Describe();
  EXPECT_THAT(r.out, HasSubstr("/dev/pts/"));
}

}  // namespace
}  // namespace berth::testing
