// The shim's command line, as containerd 1.6 writes it (Go `flag` syntax: single dash, `-name value` or
// `-name=value`, bool flags bare), followed by an optional action:
//   start:  -namespace NS -address A -publish-binary B -id ID [-debug] start
//   delete: -namespace NS -address A -publish-binary B -id ID -bundle DIR delete
//   daemon: -namespace NS -id ID -address A [-debug]           (the daemon alone, on fd 3; `start` forks it)
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::shim {

struct Flags {
  std::string ns, address, publish_binary, id, bundle, socket;
  bool debug = false;
  std::string action;  // "start", "delete" or "" (the long-lived daemon)
};

absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args);  // args without argv[0]

}  // namespace berth::shim
