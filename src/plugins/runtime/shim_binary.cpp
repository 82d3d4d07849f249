#include "plugins/runtime/shim_binary.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_split.h"
#include "fmt/format.h"

namespace berth::runtime {

absl::StatusOr<std::string> ShimBinaryName(const std::string& runtime_name) {
  std::vector<std::string> parts = absl::StrSplit(runtime_name, '.');
  if (parts.size() < 2 || parts[parts.size() - 2].empty() || parts.back().empty()) {
    return absl::InvalidArgumentError(fmt::format("invalid runtime name {}, correct runtime name should be "
                                                  "either format like `io.containerd.runc.v1` or a full path to "
                                                  "the binary",
                                                  runtime_name));
  }
  return fmt::format("containerd-shim-{}-{}", parts[parts.size() - 2], parts.back());
}

absl::StatusOr<std::string> ResolveShimBinary(const std::string& runtime_name) {
  if (runtime_name.starts_with("/")) {
    if (::access(runtime_name.c_str(), X_OK) != 0) {
      return absl::NotFoundError(fmt::format("runtime binary {} is not an executable", runtime_name));
    }
    return runtime_name;
  }
  auto name = ShimBinaryName(runtime_name);
  if (!name.ok()) return name.status();
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) dirs = absl::StrSplit(path, ':', absl::SkipEmpty());
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back(self.parent_path().string());
  for (const std::string& dir : dirs) {
    std::string candidate = dir + "/" + *name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError(
      fmt::format("runtime \"{}\" binary not installed \"{}\": file does not exist", runtime_name, *name));
}

bool IsBerthShim(const std::string& binary) {
  return std::filesystem::path(binary).filename() == "containerd-shim-berth-v1";
}

}  // namespace berth::runtime
