#include "shim/process_io.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace berth::shim {
namespace {

class StdinFifoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "berth-io-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fifo_ = dir_ + "/stdin";
    ASSERT_EQ(::mkfifo(fifo_.c_str(), 0600), 0);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Opens the process's stdio on the FIFO, takes the process's end of stdin as runc would (ReleaseProcessSide
  // drops ours) and opens the client's writing end.
  void OpenAsRuncAndClient() {
    auto io = ProcessIo::Open({.stdin_path = fifo_});
    ASSERT_TRUE(io.ok()) << io.status();
    io_ = std::move(*io);
    process_stdin_.Reset(::fcntl(io_->fds().stdin_fd, F_DUPFD_CLOEXEC, 0));
    ASSERT_TRUE(process_stdin_.valid());
    io_->ReleaseProcessSide();
    client_.Reset(::open(fifo_.c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(client_.valid());
  }

  std::string dir_, fifo_;
  std::unique_ptr<ProcessIo> io_;
  UniqueFd process_stdin_, client_;
};

// Reads fd until EOF, at most `timeout_ms` of silence; returns what came.
std::string ReadToEof(int fd, int timeout_ms) {
  std::string out;
  char buf[65536];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return out + "<no EOF>";
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

TEST_F(StdinFifoTest, CloseStdinFirstCopiesWhatTheClientAlreadyWrote) {
  ASSERT_NO_FATAL_FAILURE(OpenAsRuncAndClient());
  // The client writes 112 KiB and, still holding its end, asks to close stdin: the way ctr does it, at the end
  // of its own stdin. Nobody reads the process's stdin yet, so the pipe (64 KiB) and the copier's buffer
  // (32 KiB) are full and the rest still waits in the FIFO when CloseIO comes.
  std::string data(112 * 1024, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 23);
  for (size_t off = 0; off < data.size();) {
    ssize_t n = ::write(client_.get(), data.data() + off, data.size() - off);
    ASSERT_GT(n, 0);
    off += static_cast<size_t>(n);
  }
  io_->CloseStdin();
  std::string got = ReadToEof(process_stdin_.get(), 5000);
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data) << "stdin reached the process altered";
}

TEST_F(StdinFifoTest, ClientClosingItsEndIsEofToo) {
  ASSERT_NO_FATAL_FAILURE(OpenAsRuncAndClient());
  ASSERT_EQ(::write(client_.get(), "hello\n", 6), 6);
  client_.Reset();
  EXPECT_EQ(ReadToEof(process_stdin_.get(), 5000), "hello\n");
}

}  // namespace
}  // namespace berth::shim
