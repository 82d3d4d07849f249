#pragma once
// Runs the stock containerd client `ctr` against a daemon socket, in one namespace, with a deadline.
//
//   Ctr ctr(daemon.socket(), "it");
//   auto r = ctr.Run({"content", "ls", "-q"});
//   ASSERT_CTR_OK(r);
//   EXPECT_THAT(Lines(r.out), Contains(digest));

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/util/subprocess.h"

namespace berth::testing {

class Ctr {
 public:
  // The binary is $BERTH_TEST_CTR or /usr/bin/ctr.
  Ctr(std::string socket, std::string ns);

  RunResult Run(const std::vector<std::string>& args, const RunOptions& options = {}) const;
  // stdin from a regular file (ctr can seek it to resume an ingest).
  RunResult RunWithStdinFile(const std::vector<std::string>& args, const std::string& path) const;

  // Starts ctr in the background with a stdin pipe (e.g. a slow `content ingest`).
  std::optional<Child> Start(const std::vector<std::string>& args, const std::string& log_path,
                             std::string* error) const;

  // The full command line for args.
  std::vector<std::string> Argv(const std::vector<std::string>& args) const;

  Ctr WithNamespace(const std::string& ns) const { return Ctr(socket_, ns); }
  const std::string& socket() const { return socket_; }
  const std::string& ns() const { return ns_; }

  // Convenience queries; each fails the current test (ADD_FAILURE) if ctr fails.
  std::vector<std::string> ContentDigests() const;  // `content ls -q`
  std::vector<std::string> ImageNames() const;      // `images ls -q`
  // `content active` rows: ref -> SIZE column (HumanSize of the offset).
  std::vector<std::pair<std::string, std::string>> ActiveIngests() const;

  static std::chrono::milliseconds DefaultTimeout();

 private:
  std::string binary_;
  std::string socket_;
  std::string ns_;
};

// Non-empty lines of s, each with surrounding whitespace trimmed.
std::vector<std::string> Lines(const std::string& s);
// Whitespace-separated fields of one line.
std::vector<std::string> Fields(const std::string& line);
// The first line whose first field is `key` ("" if none).
std::string RowWithKey(const std::string& table, const std::string& key);

}  // namespace berth::testing

// Assertion helpers that print the command, exit status and both outputs on failure.
#define ASSERT_CTR_OK(r) ASSERT_TRUE((r).ok()) << (r).Describe()
#define EXPECT_CTR_OK(r) EXPECT_TRUE((r).ok()) << (r).Describe()
#define EXPECT_CTR_FAILS(r) \
  EXPECT_TRUE((r).exit_code != 0 && !(r).timed_out) << "expected a clean failure\n" << (r).Describe()
