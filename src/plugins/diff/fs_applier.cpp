#include "plugins/diff/fs_applier.h"

#include <algorithm>
#include <functional>

#include "base/status.h"
#include "plugins/diff/decompress.h"
#include "plugins/diff/hashing_pipe.h"
#include "plugins/diff/tar_apply.h"
#include "plugins/diff/tar_reader.h"
#include "plugins/diff/temp_mount.h"

namespace berth::diff {

namespace {

// The blob bytes and the decompressor over them, owned together by the pipe's producer thread.
class LayerSource final : public ByteReader {
 public:
  absl::StatusOr<size_t> Read(std::span<char> buf) override { return decompressor->Read(buf); }

  std::unique_ptr<ByteReader> blob;
  std::unique_ptr<ByteReader> decompressor;
};

// A content store blob as a ByteReader that owns its content::Reader.
class OwningReader final : public ByteReader {
 public:
  OwningReader(std::unique_ptr<content::Reader> reader, std::unique_ptr<ByteReader> bytes)
      : reader_(std::move(reader)), bytes_(std::move(bytes)) {}
  absl::StatusOr<size_t> Read(std::span<char> buf) override { return bytes_->Read(buf); }

 private:
  std::unique_ptr<content::Reader> reader_;
  std::unique_ptr<ByteReader> bytes_;  // reads reader_, so declared after it (destroyed first)
};

bool HasOption(const mount::Mount& m, std::string_view opt) {
  return std::find(m.options.begin(), m.options.end(), opt) != m.options.end();
}

// upperdir= and lowerdir= of an overlay mount; no upperdir means it is read-only (a view).
bool OverlayDirs(const mount::Mount& m, std::string* upper, std::vector<std::string>* lowers) {
  for (const auto& o : m.options) {
    if (o.starts_with("upperdir=")) *upper = o.substr(9);
    if (o.starts_with("lowerdir=")) {
      std::string_view rest = std::string_view(o).substr(9);
      while (!rest.empty()) {
        size_t colon = rest.find(':');
        lowers->emplace_back(rest.substr(0, colon));
        rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
      }
    }
  }
  return !upper->empty();
}

absl::Status ApplyToMounts(const Context& ctx, TarReader& tar, const std::vector<mount::Mount>& mounts,
                           const std::string& temp_dir) {
  if (mounts.empty()) return absl::InvalidArgumentError("apply: no mounts given");
  if (mounts.size() == 1) {
    const mount::Mount& m = mounts[0];
    std::string upper;
    std::vector<std::string> lowers;
    if (m.type == "overlay" && OverlayDirs(m, &upper, &lowers)) {
      return ApplyTar(ctx, tar, upper, {.whiteouts = WhiteoutMode::kOverlay, .parents = lowers});
    }
    if (m.type == "bind" && !HasOption(m, "ro")) {
      return ApplyTar(ctx, tar, m.source, {.whiteouts = WhiteoutMode::kRemove});
    }
  }
  ASSIGN_OR_RETURN(auto tm, TempMount::Mount(mounts, temp_dir));
  return ApplyTar(ctx, tar, tm->path(), {.whiteouts = WhiteoutMode::kRemove});
}

// Decompresses and hashes `blob` on a pipe thread while `apply` extracts the tar; the uncompressed descriptor.
absl::StatusOr<oci::Descriptor> ApplyDecoded(const oci::Descriptor& layer, std::unique_ptr<ByteReader> blob,
                                             const std::function<absl::Status(TarReader&)>& apply) {
  const std::string what = layer.digest.str();
  ASSIGN_OR_RETURN(Compression compression, CompressionOf(layer.media_type));
  auto source = std::make_unique<LayerSource>();
  source->blob = std::move(blob);
  ASSIGN_OR_RETURN(source->decompressor, OpenDecompressor(compression, source->blob.get(), what));

  HashingPipe pipe(std::move(source));
  ASSIGN_OR_RETURN(auto tar, TarReader::Open(&pipe, what));
  absl::Status applied = apply(*tar);
  if (!applied.ok()) return WithContext(applied, fmt::format("apply layer {}", what));
  auto result = pipe.Finish();
  if (!result.ok()) return WithContext(result.status(), fmt::format("apply layer {}", what));
  return oci::Descriptor{
      .media_type = std::string(kMediaTypeLayer), .digest = result->digest, .size = result->size};
}

}  // namespace

absl::StatusOr<oci::Descriptor> FsApplier::Apply(const Context& ctx, const oci::Descriptor& layer,
                                                 const std::vector<mount::Mount>& mounts) {
  ASSIGN_OR_RETURN(std::unique_ptr<content::Reader> reader, store_->OpenReader(ctx, layer.digest));
  auto blob = std::make_unique<ContentByteReader>(reader.get(), layer.digest.str());
  auto source = std::make_unique<OwningReader>(std::move(reader), std::move(blob));
  return ApplyFrom(ctx, layer, std::move(source), mounts);
}

absl::StatusOr<oci::Descriptor> FsApplier::ApplyFrom(const Context& ctx, const oci::Descriptor& layer,
                                                     std::unique_ptr<ByteReader> blob,
                                                     const std::vector<mount::Mount>& mounts) {
  return ApplyDecoded(layer, std::move(blob),
                      [&](TarReader& tar) { return ApplyToMounts(ctx, tar, mounts, opts_.temp_mount_dir); });
}

absl::StatusOr<oci::Descriptor> FsApplier::ApplyDetached(const Context& ctx, const oci::Descriptor& layer,
                                                         std::unique_ptr<ByteReader> blob, const std::string& dir,
                                                         std::vector<std::string>* implied) {
  return ApplyDecoded(layer, std::move(blob), [&](TarReader& tar) {
    return ApplyTar(ctx, tar, dir, {.whiteouts = WhiteoutMode::kOverlay, .implied_dirs = implied});
  });
}

}  // namespace berth::diff
