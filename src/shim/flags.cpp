#include "shim/flags.h"

#include <map>
#include <optional>

#include "fmt/format.h"

namespace berth::shim {

absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args) {
  Flags f;
  std::map<std::string, std::string*> values = {{"namespace", &f.ns},           {"address", &f.address},
                                                {"publish-binary", &f.publish_binary}, {"id", &f.id},
                                                {"bundle", &f.bundle},          {"socket", &f.socket}};
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') break;  // first positional argument: the action
    if (arg == "--") {
      ++i;
      break;
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name == "debug" || name == "v") {
      bool on = !inline_value || *inline_value == "true" || *inline_value == "1";
      if (name == "debug") f.debug = on;
      continue;
    }
    auto it = values.find(name);
    if (it == values.end()) return absl::InvalidArgumentError(fmt::format("flag provided but not defined: -{}", name));
    if (inline_value) {
      *it->second = *inline_value;
    } else if (i + 1 < args.size()) {
      *it->second = args[++i];
    } else {
      return absl::InvalidArgumentError(fmt::format("flag needs an argument: -{}", name));
    }
  }
  if (i < args.size()) f.action = args[i++];
  if (i < args.size()) return absl::InvalidArgumentError(fmt::format("unexpected argument {}", args[i]));
  if (!f.action.empty() && f.action != "start" && f.action != "delete") {
    return absl::InvalidArgumentError(fmt::format("unknown action {} (want start or delete)", f.action));
  }
  if (f.ns.empty()) return absl::InvalidArgumentError("shim namespace cannot be empty (-namespace)");
  if (f.id.empty()) return absl::InvalidArgumentError("shim id cannot be empty (-id)");
  return f;
}

}  // namespace berth::shim
