#include "tests/util/ctr.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

namespace berth::testing {

Ctr::Ctr(std::string socket, std::string ns) : socket_(std::move(socket)), ns_(std::move(ns)) {
  const char* bin = std::getenv("BERTH_TEST_CTR");
  binary_ = (bin != nullptr && *bin != '\0') ? bin : "/usr/bin/ctr";
}

std::chrono::milliseconds Ctr::DefaultTimeout() { return std::chrono::seconds(60); }

std::vector<std::string> Ctr::Argv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {binary_, "--address", socket_, "--namespace", ns_};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

RunResult Ctr::Run(const std::vector<std::string>& args, const RunOptions& options) const {
  return RunCommand(Argv(args), options);
}

RunResult Ctr::RunWithStdinFile(const std::vector<std::string>& args, const std::string& path) const {
  RunOptions options;
  options.stdin_path = path;
  return Run(args, options);
}

std::optional<Child> Ctr::Start(const std::vector<std::string>& args, const std::string& log_path,
                                std::string* error) const {
  Child::Options options;
  options.log_path = log_path;
  options.stdin_pipe = true;
  return Child::Start(Argv(args), options, error);
}

std::vector<std::string> Ctr::ContentDigests() const {
  auto r = Run({"content", "ls", "-q"});
  if (!r.ok()) {
    ADD_FAILURE() << r.Describe();
    return {};
  }
  return Lines(r.out);
}

std::vector<std::string> Ctr::ImageNames() const {
  auto r = Run({"images", "ls", "-q"});
  if (!r.ok()) {
    ADD_FAILURE() << r.Describe();
    return {};
  }
  return Lines(r.out);
}

std::vector<std::pair<std::string, std::string>> Ctr::ActiveIngests() const {
  auto r = Run({"content", "active"});
  if (!r.ok()) {
    ADD_FAILURE() << r.Describe();
    return {};
  }
  std::vector<std::pair<std::string, std::string>> rows;
  auto lines = Lines(r.out);
  for (size_t i = 1; i < lines.size(); ++i) {  // line 0 is the header REF SIZE AGE
    auto fields = Fields(lines[i]);
    if (fields.size() >= 2) rows.emplace_back(fields[0], fields[1]);
  }
  return rows;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) {
    auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos) continue;
    auto end = line.find_last_not_of(" \t\r");
    out.push_back(line.substr(begin, end - begin + 1));
  }
  return out;
}

std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string field;
  while (in >> field) out.push_back(field);
  return out;
}

std::string RowWithKey(const std::string& table, const std::string& key) {
  for (const auto& line : Lines(table)) {
    auto fields = Fields(line);
    if (!fields.empty() && fields[0] == key) return line;
  }
  return "";
}

}  // namespace berth::testing
