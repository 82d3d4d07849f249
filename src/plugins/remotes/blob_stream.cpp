#include "plugins/remotes/blob_stream.h"

#include "base/status.h"
#include "plugins/remotes/errors.h"

namespace berth::remotes {

HttpBlobReader::HttpBlobReader(Context ctx, std::unique_ptr<HttpResponse> response, int64_t start_offset,
                               int64_t remaining, bool restarted_from_zero, std::string what, std::string source)
    : ctx_(std::move(ctx)),
      response_(std::move(response)),
      start_offset_(start_offset),
      remaining_(remaining),
      what_(std::move(what)),
      source_(std::move(source)) {
  restarted_from_zero_ = restarted_from_zero;
}

absl::StatusOr<size_t> HttpBlobReader::Read(std::span<char> buf) {
  if (!response_ || buf.empty()) return 0;
  // Ask for one byte more than expected at most, so a longer body is noticed rather than silently cut.
  if (remaining_ >= 0) buf = buf.first(static_cast<size_t>(std::min<int64_t>(buf.size(), remaining_ + 1)));
  absl::StatusOr<size_t> n = response_->body().Read(ctx_, buf);
  if (!n.ok()) return AddContext(n.status(), what_);
  if (remaining_ < 0) return *n;
  if (*n == 0 && remaining_ > 0) {
    return TransientError(kReasonEof, fmt::format("{}: stream ended {} bytes early", what_, remaining_));
  }
  if (static_cast<int64_t>(*n) > remaining_) {
    return WithReason(absl::DataLossError(fmt::format("{}: server sent more bytes than the descriptor's size",
                                                      what_)),
                      kReasonDigest);
  }
  remaining_ -= static_cast<int64_t>(*n);
  return *n;
}

}  // namespace berth::remotes
