// A small protobuf wire-format encoder and decoder, for the handful of messages ttrpc and the shim speak.
// The shim must stay light (no libprotobuf, no gRPC), so its messages are written field by field with these.
//
//   protowire::Writer w;
//   w.String(1, id);            // omitted when empty, as proto3 does
//   w.Message(3, mount_bytes);  // always written (a present sub-message)
//   protowire::Reader r(bytes);
//   while (r.Next()) { switch (r.field()) { case 1: id = r.string(); break; } }
//   RETURN_IF_ERROR(r.status());
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace berth::protowire {

enum class WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

class Writer {
 public:
  // Scalar fields are skipped when zero/empty (proto3 default values are not sent).
  void Uint(uint32_t field, uint64_t value);
  void Int(uint32_t field, int64_t value) { Uint(field, static_cast<uint64_t>(value)); }
  void Bool(uint32_t field, bool value) { Uint(field, value ? 1 : 0); }
  void String(uint32_t field, std::string_view value);
  // Length-delimited fields written even when empty: sub-messages and repeated elements.
  void Message(uint32_t field, std::string_view encoded);
  void RepeatedString(uint32_t field, std::string_view value) { Message(field, value); }
  // A packed repeated varint field (proto3's default for repeated scalars); omitted when empty.
  void PackedUint(uint32_t field, const std::vector<uint64_t>& values);

  const std::string& data() const { return data_; }
  std::string Take() { return std::move(data_); }

 private:
  void Tag(uint32_t field, WireType type);
  void Varint(uint64_t value);
  std::string data_;
};

// Iterates the fields of one encoded message. Unknown fields of any wire type are skipped by the caller simply
// not reading them. After Next() returns false, status() tells a clean end from malformed input.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool Next();
  uint32_t field() const { return field_; }
  WireType type() const { return type_; }
  uint64_t varint() const { return varint_; }
  bool boolean() const { return varint_ != 0; }
  std::string_view bytes() const { return bytes_; }
  std::string string() const { return std::string(bytes_); }
  const absl::Status& status() const { return status_; }

 private:
  bool Fail(std::string_view what);
  bool ReadVarint(uint64_t* value);

  std::string_view data_;
  size_t pos_ = 0;
  uint32_t field_ = 0;
  WireType type_ = WireType::kVarint;
  uint64_t varint_ = 0;
  std::string_view bytes_;
  absl::Status status_;
};

}  // namespace berth::protowire
