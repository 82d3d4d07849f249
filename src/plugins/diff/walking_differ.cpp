#include "plugins/diff/walking_differ.h"

#include <sys/random.h>

#include <algorithm>

#include "base/status.h"
#include "plugins/diff/changes.h"
#include "plugins/diff/compress_writer.h"
#include "plugins/diff/tar_writer.h"
#include "plugins/diff/temp_mount.h"

namespace berth::diff {

namespace {

std::string RandomRef() {
  unsigned char b[12];
  if (getrandom(b, sizeof(b), 0) != sizeof(b)) return fmt::format("diff-{}", ::time(nullptr));
  std::string out = "diff-";
  for (unsigned char c : b) out += fmt::format("{:02x}", c);
  return out;
}

// A tree to read: a lone bind mount's source in place, anything else mounted read-only on a temp dir.
struct Tree {
  std::string path;
  std::unique_ptr<TempMount> mount;
};

absl::StatusOr<Tree> ReadOnlyTree(const std::vector<mount::Mount>& mounts, const std::string& temp_dir) {
  if (mounts.size() == 1 && mounts[0].type == "bind") return Tree{mounts[0].source, nullptr};
  std::vector<mount::Mount> ro = mounts;
  for (auto& m : ro) {
    std::erase(m.options, "rw");
    m.options.push_back("ro");
  }
  ASSIGN_OR_RETURN(auto tm, TempMount::Mount(ro, temp_dir));
  std::string path = tm->path();
  return Tree{std::move(path), std::move(tm)};
}

absl::StatusOr<Compression> OutputCompression(const std::string& media_type) {
  if (media_type == kMediaTypeLayerGzip) return Compression::kGzip;
  if (media_type == kMediaTypeLayerZstd) return Compression::kZstd;
  if (media_type == kMediaTypeLayer) return Compression::kNone;
  return absl::UnimplementedError(fmt::format("diff: unsupported media type {:?}", media_type));
}

}  // namespace

absl::StatusOr<oci::Descriptor> WalkingDiffer::Compare(const Context& ctx, const std::vector<mount::Mount>& lower,
                                                       const std::vector<mount::Mount>& upper,
                                                       const DiffOptions& opts) {
  const std::string media_type = opts.media_type.empty() ? std::string(kMediaTypeLayerGzip) : opts.media_type;
  ASSIGN_OR_RETURN(Compression compression, OutputCompression(media_type));
  if (upper.empty()) return absl::InvalidArgumentError("diff: no upper mounts given");
  ASSIGN_OR_RETURN(Tree lower_tree, ReadOnlyTree(lower, opts_.temp_mount_dir));
  ASSIGN_OR_RETURN(Tree upper_tree, ReadOnlyTree(upper, opts_.temp_mount_dir));

  const std::string ref = opts.ref.empty() ? RandomRef() : opts.ref;
  ASSIGN_OR_RETURN(auto writer, store_->OpenWriter(ctx, {.ref = ref}));
  // A fresh ingest: drop whatever an earlier, failed diff under the same ref left.
  RETURN_IF_ERROR(writer->Truncate());
  ASSIGN_OR_RETURN(auto sink, CompressWriter::Open(compression, writer.get()));
  TarWriter tw([&](std::string_view data) { return sink->Write(data); });
  absl::Status s = WriteChanges(ctx, lower_tree.path, upper_tree.path, tw);
  if (!s.ok()) {
    IgnoreError(store_->Abort(ctx, ref), "the diff already failed; a leftover ingest is garbage for gc");
    return WithContext(s, fmt::format("diff {} against {}", upper_tree.path, lower_tree.path));
  }
  ASSIGN_OR_RETURN(Digest diff_id, sink->Finish());

  const Digest digest = writer->RunningDigest();
  const int64_t size = writer->GetStatus().offset;
  Labels labels = opts.labels;
  labels[std::string(kUncompressedLabel)] = diff_id.str();
  absl::Status committed = writer->Commit({.size = size, .expected = digest, .labels = labels});
  if (!committed.ok() && !absl::IsAlreadyExists(committed)) {
    return WithContext(committed, fmt::format("commit diff {}", ref));
  }
  return oci::Descriptor{.media_type = media_type, .digest = digest, .size = size};
}

}  // namespace berth::diff
