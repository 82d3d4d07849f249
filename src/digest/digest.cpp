#include "digest/digest.h"

#include <openssl/evp.h>

#include "fmt/format.h"

namespace berth {

namespace {
bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
}  // namespace

absl::StatusOr<Digest> Digest::Parse(std::string_view s) {
  constexpr size_t kHexLen = 64;
  std::string_view shown = s.substr(0, 80);
  if (s.size() != kAlgorithm.size() + 1 + kHexLen || s.substr(0, kAlgorithm.size()) != kAlgorithm ||
      s[kAlgorithm.size()] != ':') {
    return absl::InvalidArgumentError(
        fmt::format("invalid digest \"{}\": want sha256:<64 lowercase hex digits>", shown));
  }
  for (char c : s.substr(kAlgorithm.size() + 1)) {
    if (!IsLowerHex(c)) {
      return absl::InvalidArgumentError(
          fmt::format("invalid digest \"{}\": want sha256:<64 lowercase hex digits>", shown));
    }
  }
  return Digest(std::string(s));
}

Digest Digest::FromRawSha256(const unsigned char bytes[32]) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = fmt::format("{}:", kAlgorithm);
  s.reserve(s.size() + 64);
  for (int i = 0; i < 32; ++i) {
    s.push_back(kHex[bytes[i] >> 4]);
    s.push_back(kHex[bytes[i] & 0xf]);
  }
  return Digest(std::move(s));
}

Digest Digest::Of(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.Finish();
}

struct Sha256::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) { Reset(); }
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Reset() { EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr); }

void Sha256::Update(std::string_view data) { EVP_DigestUpdate(state_->ctx, data.data(), data.size()); }

Digest Sha256::Peek() const {
  State copy;
  EVP_MD_CTX_copy_ex(copy.ctx, state_->ctx);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(copy.ctx, out, &len);
  return Digest::FromRawSha256(out);
}

Digest Sha256::Finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(state_->ctx, out, &len);
  Reset();
  return Digest::FromRawSha256(out);
}

}  // namespace berth
