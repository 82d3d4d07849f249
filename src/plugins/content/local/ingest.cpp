#include "plugins/content/local/ingest.h"

#include <charconv>

#include "base/status.h"

namespace berth::content {
namespace {

constexpr std::string_view kMagic = "berth-ingest v1\n";

// Consumes "<key> <value>\n" from the front of `text`; returns the value.
std::optional<std::string_view> TakeField(std::string_view& text, std::string_view key) {
  if (text.size() <= key.size() || text.substr(0, key.size()) != key || text[key.size()] != ' ') {
    return std::nullopt;
  }
  size_t end = text.find('\n');
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view value = text.substr(key.size() + 1, end - key.size() - 1);
  text.remove_prefix(end + 1);
  return value;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string EncodeIngestMeta(const IngestMeta& meta) {
  std::string expected;
  if (meta.expected) expected = fmt::format("expected {}\n", meta.expected->str());
  return fmt::format("{}total {}\n{}startedat {}\nref {}", kMagic, meta.total, expected,
                     absl::ToUnixNanos(meta.started_at), meta.ref);
}

absl::StatusOr<IngestMeta> DecodeIngestMeta(std::string_view text) {
  auto invalid = [] { return absl::InvalidArgumentError("not a berth-ingest v1 meta file"); };
  if (text.substr(0, kMagic.size()) != kMagic) return invalid();
  text.remove_prefix(kMagic.size());
  IngestMeta meta;
  std::optional<std::string_view> total = TakeField(text, "total");
  std::optional<int64_t> total_value = total ? ParseInt(*total) : std::nullopt;
  if (!total_value || *total_value < 0) return invalid();
  meta.total = *total_value;
  if (std::optional<std::string_view> expected = TakeField(text, "expected")) {
    absl::StatusOr<Digest> d = Digest::Parse(*expected);
    if (!d.ok()) return invalid();
    meta.expected = *d;
  }
  std::optional<std::string_view> started = TakeField(text, "startedat");
  std::optional<int64_t> started_value = started ? ParseInt(*started) : std::nullopt;
  if (!started_value) return invalid();
  meta.started_at = absl::FromUnixNanos(*started_value);
  if (text.substr(0, 4) != "ref ") return invalid();
  meta.ref = std::string(text.substr(4));
  if (meta.ref.empty()) return invalid();
  return meta;
}

std::string Layout::BlobsDir() const {
  return JoinPath(JoinPath(root_, "blobs"), Digest::kAlgorithm);
}

std::string Layout::BlobPath(const Digest& digest) const {
  return JoinPath(BlobsDir(), digest.hex());
}

std::string Layout::IngestsDir() const { return JoinPath(root_, "ingest"); }

std::string Layout::IngestDir(std::string_view ref) const {
  return JoinPath(IngestsDir(), Digest::Of(ref).hex());
}

absl::StatusOr<IngestMeta> ReadIngestMeta(Fs& fs, const std::string& ingest_dir) {
  ASSIGN_OR_RETURN(std::string text,
                   ReadSmallFile(fs, Layout::MetaPath(ingest_dir), kMaxMetaBytes));
  absl::StatusOr<IngestMeta> meta = DecodeIngestMeta(text);
  if (!meta.ok()) return WithContext(meta.status(), Layout::MetaPath(ingest_dir));
  // A meta cut short inside the ref still parses; the directory name (the ref's hash) tells.
  std::string_view dir_name = std::string_view(ingest_dir).substr(ingest_dir.rfind('/') + 1);
  if (Digest::Of(meta->ref).hex() != dir_name) {
    return absl::InvalidArgumentError(
        fmt::format("{}: holds ref {}, which belongs in another directory",
                    Layout::MetaPath(ingest_dir), meta->ref));
  }
  return meta;
}

absl::StatusOr<Status> ReadIngestStatus(Fs& fs, const std::string& ingest_dir) {
  ASSIGN_OR_RETURN(IngestMeta meta, ReadIngestMeta(fs, ingest_dir));
  ASSIGN_OR_RETURN(struct stat st, fs.Stat(Layout::DataPath(ingest_dir)));
  if (!S_ISREG(st.st_mode)) {
    return absl::NotFoundError(
        fmt::format("{} is not a regular file", Layout::DataPath(ingest_dir)));
  }
  return Status{
      .ref = std::move(meta.ref),
      .offset = static_cast<int64_t>(st.st_size),
      .total = meta.total,
      .expected = std::move(meta.expected),
      .started_at = meta.started_at,
      .updated_at = absl::TimeFromTimespec(st.st_mtim),
  };
}

}  // namespace berth::content
