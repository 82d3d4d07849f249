#include "shim/task_api.h"

#include <gtest/gtest.h>

#include "shim/events.h"
#include "shim/stats.h"
#include "ttrpc/protowire.h"

namespace berth::shim {
namespace {

using protowire::Writer;

TEST(TaskApiTest, DecodesCreateTaskRequestAsContainerdSendsIt) {
  Mount overlay{.type = "overlay", .source = "overlay",
                .options = {"index=off", "workdir=/s/2/work", "upperdir=/s/2/fs", "lowerdir=/s/1/fs"}};
  Writer w;
  w.String(1, "t1");
  w.String(2, "/run/c/io.containerd.runtime.v2.task/default/t1");
  w.Message(3, overlay.Encode());
  w.Bool(4, true);
  w.String(5, "/fifo/t1-stdin");
  w.String(6, "/fifo/t1-stdout");
  w.Uint(99, 5);  // an unknown field is skipped
  auto req = CreateTaskRequest::Decode(w.data());
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->id, "t1");
  ASSERT_EQ(req->rootfs.size(), 1u);
  EXPECT_EQ(req->rootfs[0].type, "overlay");
  EXPECT_EQ(req->rootfs[0].options, overlay.options);
  EXPECT_TRUE(req->stdio.terminal);
  EXPECT_EQ(req->stdio.stdin_path, "/fifo/t1-stdin");
  EXPECT_EQ(req->stdio.stdout_path, "/fifo/t1-stdout");
  EXPECT_EQ(req->stdio.stderr_path, "");
}

TEST(TaskApiTest, RejectsMalformedRequests) {
  EXPECT_FALSE(CreateTaskRequest::Decode(std::string("\x1a\x05\x0a", 3)).ok());
  EXPECT_FALSE(KillRequest::Decode(std::string("\x18", 1)).ok());
}

TEST(TaskApiTest, DeleteResponseRoundTripsAndMatchesObservedBytes) {
  DeleteResponse resp{.pid = 13157, .exit_status = 137, .exited_at = {.seconds = 1700000000, .nanos = 5}};
  std::string bytes = resp.Encode();
  EXPECT_EQ(bytes.substr(0, 6), std::string("\x08\xe5\x66\x10\x89\x01", 6));
  auto back = DeleteResponse::Decode(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->pid, 13157u);
  EXPECT_EQ(back->exit_status, 137u);
  EXPECT_EQ(back->exited_at.seconds, 1700000000);
  EXPECT_EQ(back->exited_at.nanos, 5);
}

TEST(TaskApiTest, StateResponseCarriesStatusAndExecId) {
  StateResponse s{.id = "c", .pid = 42, .status = TaskStatus::kStopped, .exit_status = 7, .exec_id = "e1"};
  std::string encoded = s.Encode();
  protowire::Reader r(encoded);
  std::map<uint32_t, uint64_t> ints;
  std::map<uint32_t, std::string> strings;
  while (r.Next()) {
    if (r.type() == protowire::WireType::kVarint) ints[r.field()] = r.varint();
    if (r.type() == protowire::WireType::kLengthDelimited) strings[r.field()] = r.string();
  }
  EXPECT_EQ(ints[3], 42u);
  EXPECT_EQ(ints[4], 3u);  // STOPPED
  EXPECT_EQ(ints[9], 7u);
  EXPECT_EQ(strings[1], "c");
  EXPECT_EQ(strings[11], "e1");
}

TEST(TaskApiTest, ForwardRequestWrapsTheEventInAnEnvelope) {
  Event e = TaskExitEvent("c1", "c1", 99, 7, {.seconds = 1});
  EXPECT_EQ(e.topic, "/tasks/exit");
  EXPECT_EQ(e.event.type_url, "containerd.events.TaskExit");
  std::string fwd = EncodeForwardRequest(e, "default", {.seconds = 2});
  protowire::Reader r(fwd);
  ASSERT_TRUE(r.Next());
  ASSERT_EQ(r.field(), 1u);
  protowire::Reader env(r.bytes());
  std::map<uint32_t, std::string> fields;
  while (env.Next()) fields[env.field()] = env.string();
  EXPECT_EQ(fields[2], "default");
  EXPECT_EQ(fields[3], "/tasks/exit");
  auto any = Any::Decode(fields[4]);
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->type_url, "containerd.events.TaskExit");
  EXPECT_EQ(any->value, e.event.value);
}

TEST(StatsTest, ConvertsRuncStatsToCgroupsV1Metrics) {
  auto any = MetricsFromRuncStats(
      R"({"type":"stats","id":"c","data":{"cpu":{"usage":{"total":100,"percpu":[60,40],"kernel":10,"user":90}},)"
      R"("memory":{"usage":{"limit":1000,"usage":500,"max":600}},"pids":{"current":3,"limit":0}}})");
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_EQ(any->type_url, "io.containerd.cgroups.v1.Metrics");
  protowire::Reader r(any->value);
  uint64_t pids_current = 0;
  while (r.Next()) {
    if (r.field() == 2) {
      protowire::Reader p(r.bytes());
      while (p.Next()) {
        if (p.field() == 1) pids_current = p.varint();
      }
    }
  }
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(pids_current, 3u);
  EXPECT_FALSE(MetricsFromRuncStats("not json").ok());
}

}  // namespace
}  // namespace berth::shim
