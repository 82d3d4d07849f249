// SHA-256, self-contained: the shim needs it once (naming its socket as containerd's runc shim does) and must not
// pull in libcrypto's initialisation for that.
#pragma once

#include <string>
#include <string_view>

namespace berth::shim {

// Lower-case hex digest of data.
std::string Sha256Hex(std::string_view data);

}  // namespace berth::shim
