#include "plugins/diff/compress_writer.h"

#include <zlib.h>
#include <zstd.h>

#include "base/status.h"

namespace berth::diff {

namespace {

constexpr size_t kFlushAt = 1 << 20;  // bytes per content Write

class PlainWriter final : public CompressWriter {
 public:
  using CompressWriter::CompressWriter;
  absl::Status Compress(std::string_view in, bool) override { return Emit(in); }
};

class GzipWriter final : public CompressWriter {
 public:
  explicit GzipWriter(content::Writer* out) : CompressWriter(out) {
    // 15 + 16: a gzip wrapper. Level 1: commits are latency-bound and the size gain of higher levels is small.
    ok_ = deflateInit2(&zs_, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~GzipWriter() override { deflateEnd(&zs_); }
  bool ok() const { return ok_; }

  absl::Status Compress(std::string_view in, bool end) override {
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs_.avail_in = static_cast<uInt>(in.size());
    char buf[1 << 16];
    while (true) {
      zs_.next_out = reinterpret_cast<Bytef*>(buf);
      zs_.avail_out = sizeof(buf);
      int rc = deflate(&zs_, end ? Z_FINISH : Z_NO_FLUSH);
      if (rc == Z_STREAM_ERROR) return absl::InternalError("gzip compression failed");
      RETURN_IF_ERROR(Emit(std::string_view(buf, sizeof(buf) - zs_.avail_out)));
      if (end ? rc == Z_STREAM_END : (zs_.avail_in == 0 && zs_.avail_out != 0)) return absl::OkStatus();
    }
  }

 private:
  z_stream zs_{};
  bool ok_ = false;
};

class ZstdWriter final : public CompressWriter {
 public:
  explicit ZstdWriter(content::Writer* out) : CompressWriter(out), cctx_(ZSTD_createCCtx()) {}
  ~ZstdWriter() override { ZSTD_freeCCtx(cctx_); }

  absl::Status Compress(std::string_view in, bool end) override {
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    std::string buf(ZSTD_CStreamOutSize(), '\0');
    while (true) {
      ZSTD_outBuffer output{buf.data(), buf.size(), 0};
      size_t left = ZSTD_compressStream2(cctx_, &output, &input, end ? ZSTD_e_end : ZSTD_e_continue);
      if (ZSTD_isError(left)) return absl::InternalError(fmt::format("zstd: {}", ZSTD_getErrorName(left)));
      RETURN_IF_ERROR(Emit(std::string_view(buf.data(), output.pos)));
      if (end ? left == 0 : input.pos == input.size) return absl::OkStatus();
    }
  }

 private:
  ZSTD_CCtx* cctx_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<CompressWriter>> CompressWriter::Open(Compression c, content::Writer* out) {
  switch (c) {
    case Compression::kNone:
      return std::unique_ptr<CompressWriter>(new PlainWriter(out));
    case Compression::kGzip: {
      auto w = std::make_unique<GzipWriter>(out);
      if (!w->ok()) return absl::InternalError("gzip: deflateInit2 failed");
      return std::unique_ptr<CompressWriter>(std::move(w));
    }
    case Compression::kZstd:
      return std::unique_ptr<CompressWriter>(new ZstdWriter(out));
    case Compression::kDetect:
      break;
  }
  return absl::InvalidArgumentError("diff: no compression chosen");
}

absl::Status CompressWriter::Write(std::string_view tar_bytes) {
  sha_.Update(tar_bytes);
  return Compress(tar_bytes, /*end=*/false);
}

absl::Status CompressWriter::Emit(std::string_view compressed) {
  pending_.append(compressed);
  if (pending_.size() < kFlushAt) return absl::OkStatus();
  RETURN_IF_ERROR(out_->Write(pending_));
  pending_.clear();
  return absl::OkStatus();
}

absl::StatusOr<Digest> CompressWriter::Finish() {
  RETURN_IF_ERROR(Compress({}, /*end=*/true));
  if (!pending_.empty()) RETURN_IF_ERROR(out_->Write(pending_));
  pending_.clear();
  return sha_.Finish();
}

}  // namespace berth::diff
