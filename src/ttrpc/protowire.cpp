#include "ttrpc/protowire.h"

#include <cstring>

#include "fmt/format.h"

namespace berth::protowire {

void Writer::Varint(uint64_t value) {
  while (value >= 0x80) {
    data_.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  data_.push_back(static_cast<char>(value));
}

void Writer::Tag(uint32_t field, WireType type) {
  Varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(type));
}

void Writer::Uint(uint32_t field, uint64_t value) {
  if (value == 0) return;
  Tag(field, WireType::kVarint);
  Varint(value);
}

void Writer::String(uint32_t field, std::string_view value) {
  if (value.empty()) return;
  Message(field, value);
}

void Writer::Message(uint32_t field, std::string_view encoded) {
  Tag(field, WireType::kLengthDelimited);
  Varint(encoded.size());
  data_.append(encoded.data(), encoded.size());
}

void Writer::PackedUint(uint32_t field, const std::vector<uint64_t>& values) {
  if (values.empty()) return;
  Writer packed;
  for (uint64_t v : values) packed.Varint(v);
  Message(field, packed.data());
}

bool Reader::Fail(std::string_view what) {
  status_ = absl::InvalidArgumentError(
      fmt::format("malformed protobuf at byte {} of {}: {}", pos_, data_.size(), what));
  return false;
}

bool Reader::ReadVarint(uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= data_.size()) return Fail("truncated varint");
    uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return Fail("varint longer than 10 bytes");
}

bool Reader::Next() {
  if (!status_.ok() || pos_ >= data_.size()) return false;
  uint64_t tag;
  if (!ReadVarint(&tag)) return false;
  field_ = static_cast<uint32_t>(tag >> 3);
  if (field_ == 0 || (tag >> 3) > 0x1fffffff) return Fail("invalid field number");
  type_ = static_cast<WireType>(tag & 7);
  varint_ = 0;
  bytes_ = {};
  switch (type_) {
    case WireType::kVarint:
      return ReadVarint(&varint_);
    case WireType::kFixed64:
    case WireType::kFixed32: {
      size_t n = type_ == WireType::kFixed64 ? 8 : 4;
      if (data_.size() - pos_ < n) return Fail("truncated fixed-width field");
      uint64_t v = 0;
      std::memcpy(&v, data_.data() + pos_, n);  // little-endian host (x86-64, arm64)
      varint_ = v;
      pos_ += n;
      return true;
    }
    case WireType::kLengthDelimited: {
      uint64_t len;
      if (!ReadVarint(&len)) return false;
      if (len > data_.size() - pos_) return Fail("length-delimited field runs past the end");
      bytes_ = data_.substr(pos_, len);
      pos_ += len;
      return true;
    }
    default:
      return Fail(fmt::format("unsupported wire type {}", static_cast<int>(tag & 7)));
  }
}

}  // namespace berth::protowire
