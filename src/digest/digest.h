// Digest: a validated content address ("sha256:" + 64 lowercase hex), and a streaming SHA-256.
// A Digest can only be made by Parse or by hashing, so holding one means it is safe to use as a path part.
#pragma once

#include <compare>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace berth {

class Digest {
 public:
  static constexpr std::string_view kAlgorithm = "sha256";

  // Accepts exactly "sha256:<64 lowercase hex>"; anything else is InvalidArgument naming the input.
  static absl::StatusOr<Digest> Parse(std::string_view s);
  static Digest FromRawSha256(const unsigned char bytes[32]);
  // The digest of `data` in one call.
  static Digest Of(std::string_view data);

  Digest() = default;  // empty: !valid()
  bool valid() const { return !str_.empty(); }
  const std::string& str() const { return str_; }
  std::string_view hex() const { return std::string_view(str_).substr(kAlgorithm.size() + 1); }

  auto operator<=>(const Digest&) const = default;

 private:
  explicit Digest(std::string s) : str_(std::move(s)) {}
  std::string str_;
};

// Streaming SHA-256 over OpenSSL EVP (SHA-NI where the CPU has it).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void Update(std::string_view data);
  void Update(const void* data, size_t size) { Update(std::string_view(static_cast<const char*>(data), size)); }
  // The digest of everything so far; the hash can keep going afterwards (finishes a copy).
  Digest Peek() const;
  Digest Finish();
  void Reset();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace berth
