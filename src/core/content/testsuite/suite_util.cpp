#include "core/content/testsuite/suite_util.h"

#include <random>

#include "base/status.h"

namespace berth::content::testing {

std::string RandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    uint64_t v = rng();
    for (size_t j = 0; j < 8 && i + j < size; ++j) out[i + j] = static_cast<char>(v >> (8 * j));
  }
  return out;
}

absl::StatusOr<Digest> WriteBlob(Store& store, const Context& ctx, const std::string& ref,
                                 std::string_view data, const Labels& labels, size_t chunk) {
  Digest digest = Digest::Of(data);
  ASSIGN_OR_RETURN(
      std::unique_ptr<Writer> w,
      store.OpenWriter(
          ctx, {.ref = ref, .total = static_cast<int64_t>(data.size()), .expected = digest}));
  for (size_t at = 0; at < data.size(); at += chunk)
    RETURN_IF_ERROR(w->Write(data.substr(at, chunk)));
  RETURN_IF_ERROR(
      w->Commit({.size = static_cast<int64_t>(data.size()), .expected = digest, .labels = labels}));
  return digest;
}

absl::StatusOr<std::string> ReadBlob(Store& store, const Context& ctx, const Digest& digest) {
  ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, store.OpenReader(ctx, digest));
  std::string out(static_cast<size_t>(r->Size()), '\0');
  size_t got = 0;
  while (got < out.size()) {
    ASSIGN_OR_RETURN(size_t n,
                     r->ReadAt(static_cast<int64_t>(got), std::span<char>(out).subspan(got)));
    if (n == 0) return absl::DataLossError(fmt::format("{}: short read at {}", digest.str(), got));
    got += n;
  }
  return out;
}

}  // namespace berth::content::testing
