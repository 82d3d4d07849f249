// BlobReader over one HTTP response: counts bytes against the blob's size so truncation is a transient error
// and excess is data loss, whatever the HTTP framing said.
#pragma once

#include <memory>
#include <string>

#include "base/context.h"
#include "plugins/remotes/http_client.h"
#include "plugins/remotes/registry.h"

namespace berth::remotes {

class HttpBlobReader final : public BlobReader {
 public:
  // `remaining`: bytes expected from the response (-1 unknown); `what` names blob and host for errors.
  HttpBlobReader(Context ctx, std::unique_ptr<HttpResponse> response, int64_t start_offset, int64_t remaining,
                 bool restarted_from_zero, std::string what, std::string source);
  absl::StatusOr<size_t> Read(std::span<char> buf) override;
  int64_t start_offset() const override { return start_offset_; }
  std::string source() const override { return source_; }

 private:
  Context ctx_;
  std::unique_ptr<HttpResponse> response_;  // null for an empty tail (offset == size)
  int64_t start_offset_;
  int64_t remaining_;
  std::string what_;
  std::string source_;
};

}  // namespace berth::remotes
