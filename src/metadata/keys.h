// Tuple keys for the LMDB tables: parts joined by a 0x00 byte, each part escaped (0x00 → 0x01 0x01,
// 0x01 → 0x01 0x02) so any byte string is a valid part, keys decode unambiguously, and a prefix scan over
// KeyPrefix({ns}) sees exactly namespace `ns` (never "ns-other"). Escaping keeps the byte order of parts that hold
// no 0x00/0x01, so names list in sorted order.
//
// LMDB keys are at most 511 bytes, and refs, image names and lease ids are client strings of any length: a part
// longer than kMaxInlinePart bytes (escaped) is stored as its first 32 bytes, the marker 0x01 0x03 and the
// sha256 hex of the whole part. Such a part cannot be read back from the key, so every record also keeps its
// full name in its value; readers take names from values, never from keys.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace berth::metadata {

inline constexpr size_t kMaxInlinePart = 120;

std::string Key(std::initializer_list<std::string_view> parts);
// Key(parts) followed by the separator: the prefix of every key that extends `parts`.
std::string KeyPrefix(std::initializer_list<std::string_view> parts);
std::vector<std::string> SplitKey(std::string_view key);

}  // namespace berth::metadata
