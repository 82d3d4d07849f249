// berthd's version, as reported by version.Version and --version.
#pragma once

namespace berth::server {

inline constexpr char kVersion[] = "0.1.0";
inline constexpr char kRevision[] = "dev";

}  // namespace berth::server
