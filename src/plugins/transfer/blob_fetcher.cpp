#include "plugins/transfer/blob_fetcher.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/status.h"
#include "plugins/remotes/errors.h"

namespace berth::transfer {

BlobFetcher::BlobFetcher(const Context& ctx, remotes::Registry* registry, remotes::Reference ref,
                         oci::Descriptor desc, content::Writer* writer, int64_t offset, BlobFetcherOptions opts)
    : ctx_(ctx),
      registry_(registry),
      ref_(std::move(ref)),
      desc_(std::move(desc)),
      writer_(writer),
      offset_(offset),
      opts_(std::move(opts)) {}

absl::Status BlobFetcher::Open() {
  ASSIGN_OR_RETURN(stream_, registry_->OpenBlob(ctx_, ref_, desc_, offset_, opts_.request));
  if (stream_->start_offset() < offset_) return Skip(offset_ - stream_->start_offset());
  return absl::OkStatus();
}

absl::Status BlobFetcher::Skip(int64_t n) {
  char buf[64 << 10];
  while (n > 0) {
    ASSIGN_OR_RETURN(size_t got, stream_->Read(std::span<char>(buf, std::min<int64_t>(n, sizeof(buf)))));
    if (got == 0) return remotes::TransientError(remotes::kReasonEof, "blob ended while skipping to the resume offset");
    n -= static_cast<int64_t>(got);
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> BlobFetcher::ReadSome(std::span<char> buf) {
  if (!stream_) RETURN_IF_ERROR(Open());
  ASSIGN_OR_RETURN(size_t got, stream_->Read(buf));
  if (got == 0) {
    return remotes::TransientError(remotes::kReasonEof,
                                   fmt::format("connection ended at byte {} of {}", offset_, desc_.size));
  }
  return got;
}

absl::StatusOr<size_t> BlobFetcher::Read(std::span<char> buf) {
  while (true) {
    const int64_t left = desc_.size - offset_;
    if (left <= 0) return 0;
    if (ctx_.Cancelled()) return absl::CancelledError(fmt::format("fetch {}: cancelled", desc_.digest.str()));
    absl::StatusOr<size_t> got = ReadSome(buf.first(static_cast<size_t>(std::min<int64_t>(left, buf.size()))));
    if (got.ok()) {
      RETURN_IF_ERROR(writer_->Write(std::string_view(buf.data(), *got)));
      offset_ += static_cast<int64_t>(*got);
      failures_ = 0;
      if (opts_.on_bytes) opts_.on_bytes(static_cast<int64_t>(*got));
      return *got;
    }
    // A failure: resume from offset_ on a new connection, unless it is permanent or the budget is spent.
    stream_.reset();
    const absl::Status& error = got.status();
    const std::string what = fmt::format("fetch {} from {} ({})", desc_.digest.str(), ref_.String(), ref_.registry);
    if (!remotes::IsTransient(error)) return remotes::AddContext(error, what);
    if (++failures_ >= std::max(1, opts_.retry.max_attempts)) {
      return remotes::AddContext(error, fmt::format("{}: gave up after {} attempts", what, failures_));
    }
    if (opts_.on_retry) opts_.on_retry(remotes::ErrorReason(error));
    std::chrono::milliseconds delay = remotes::Backoff(opts_.retry, failures_ - 1, remotes::RetryRng());
    RETURN_IF_ERROR(remotes::SleepFor(ctx_, delay));
  }
}

absl::Status BlobFetcher::Drain() {
  std::string buf(1 << 20, '\0');
  while (true) {
    ASSIGN_OR_RETURN(size_t n, Read(std::span<char>(buf.data(), buf.size())));
    if (n == 0) return absl::OkStatus();
  }
}

}  // namespace berth::transfer
