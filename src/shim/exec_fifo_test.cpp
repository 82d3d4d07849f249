#include "shim/exec_fifo.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"

namespace berth::shim {
namespace {

using std::chrono::milliseconds;

// A stand-in for `runc init`: after `delay_ms` it opens the FIFO to write, writes one byte unless told not to, and
// stays `linger_ms` before it exits (the exec closes the FIFO the same way).
pid_t FakeInit(const std::string& fifo, int delay_ms, bool write_byte, int linger_ms) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::usleep(static_cast<useconds_t>(delay_ms) * 1000);
    int fd = ::open(fifo.c_str(), O_WRONLY);
    if (fd >= 0 && write_byte) (void)!::write(fd, "0", 1);
    ::usleep(static_cast<useconds_t>(linger_ms) * 1000);
    ::_exit(0);
  }
  return pid;
}

class ExecFifoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-exec-fifo-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fifo_ = (dir_ / "exec.fifo").string();
    ASSERT_EQ(::mkfifo(fifo_.c_str(), 0600), 0);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static void Reap(pid_t pid) { ::waitpid(pid, nullptr, 0); }
  std::filesystem::path dir_;
  std::string fifo_;
};

TEST_F(ExecFifoTest, ReturnsOnceTheWriterClosedAndRemovesTheFifo) {
  // The writer comes late and lingers after its byte: the release waits for both.
  pid_t init = FakeInit(fifo_, 50, true, 100);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(ReleaseThroughExecFifo(fifo_, init, milliseconds(5000)).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(140));
  EXPECT_FALSE(std::filesystem::exists(fifo_));
  Reap(init);
}

TEST_F(ExecFifoTest, AnInitThatDiesBeforeOpeningItIsReportedDead) {
  pid_t init = FakeInit("/nonexistent/fifo", 0, false, 0);
  absl::Status s = ReleaseThroughExecFifo(fifo_, init, milliseconds(5000));
  EXPECT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_TRUE(std::filesystem::exists(fifo_));  // still "created" to runc
  Reap(init);
}

TEST_F(ExecFifoTest, AnInitThatClosesWithoutWritingIsReportedDead) {
  pid_t init = FakeInit(fifo_, 0, false, 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(ReleaseThroughExecFifo(fifo_, init, milliseconds(5000))));
  Reap(init);
}

TEST_F(ExecFifoTest, AnInitThatWroteAndExitedAlreadyWasReleased) {
  // Its byte waits in the FIFO; the process is gone (reaped) before anyone looks.
  pid_t init = ::fork();
  if (init == 0) {
    int fd = ::open(fifo_.c_str(), O_RDWR);  // does not wait for a reader
    (void)!::write(fd, "0", 1);
    ::_exit(0);
  }
  int keep = ::open(fifo_.c_str(), O_RDONLY | O_NONBLOCK);  // keeps the byte buffered after the child exits
  Reap(init);
  EXPECT_TRUE(ReleaseThroughExecFifo(fifo_, init, milliseconds(5000)).ok());
  ::close(keep);
}

TEST_F(ExecFifoTest, NoFifoIsNotFoundSoTheCallerRunsRuncStart) {
  EXPECT_TRUE(absl::IsNotFound(ReleaseThroughExecFifo((dir_ / "none").string(), ::getpid(), milliseconds(100))));
  std::filesystem::create_directory(dir_ / "dir");
  EXPECT_TRUE(absl::IsNotFound(ReleaseThroughExecFifo((dir_ / "dir").string(), ::getpid(), milliseconds(100))));
}

TEST_F(ExecFifoTest, AWriterThatNeverComesTimesOut) {
  EXPECT_TRUE(absl::IsDeadlineExceeded(ReleaseThroughExecFifo(fifo_, ::getpid(), milliseconds(100))));
}

}  // namespace
}  // namespace berth::shim
