// The ttrpc envelope messages (ttrpc's types.go): Request and Response, with google.rpc.Status for errors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth::ttrpc {

using Metadata = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string service;       // 1
  std::string method;        // 2
  std::string payload;       // 3
  int64_t timeout_nano = 0;  // 4, 0 = no deadline
  Metadata metadata;         // 5 KeyValue{1 key, 2 value}

  std::string Encode() const;
  static absl::StatusOr<Request> Decode(std::string_view data);
};

struct Response {
  absl::Status status;  // 1 google.rpc.Status{1 code, 2 message}; omitted when OK
  std::string payload;  // 2

  std::string Encode() const;
  static absl::StatusOr<Response> Decode(std::string_view data);
};

// The first value of `key` in md, or "" if absent.
std::string MetadataValue(const Metadata& md, std::string_view key);

}  // namespace berth::ttrpc
