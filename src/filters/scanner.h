// The lexer of containerd's filter language (filters/scanner.go), byte for byte compatible so that error
// positions and messages match containerd's. Internal to berth_filters.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace berth::filters::internal {

// Token kinds are negative so that a plain character (>= 0) can be returned as its own token, as Go's scanner does.
inline constexpr int kTokenEof = -1;
inline constexpr int kTokenQuoted = -2;
inline constexpr int kTokenValue = -3;
inline constexpr int kTokenField = -4;
inline constexpr int kTokenSeparator = -5;
inline constexpr int kTokenOperator = -6;
inline constexpr int kTokenIllegal = -7;

struct Token {
  size_t pos = 0;  // byte offset of the token in the input
  int kind = kTokenEof;
  std::string_view text;
};

class Scanner {
 public:
  explicit Scanner(std::string_view input) : input_(input) {}

  Token Scan();
  // The next character (or kTokenEof / kTokenIllegal) without consuming it.
  int Peek();
  // Byte offset just past the last character read.
  size_t ppos() const { return ppos_; }
  // The first lexical error seen ("quoted literal not terminated"...), empty if none.
  const std::string& error() const { return err_; }

 private:
  int Next();
  void ScanField();
  void ScanOperator();
  void ScanValue();
  bool ScanQuoted(int quote);
  int ScanEscape(int quote, bool* legal);
  int ScanDigits(int ch, int base, int n, bool* legal);
  void Error(std::string_view msg);

  std::string_view input_;
  size_t pos_ = 0;   // start of the last character read
  size_t ppos_ = 0;  // end of the last character read
  bool value_ = false;  // after an operator, the next bare word is a value (wider alphabet than a field)
  std::string err_;
};

// Decodes a quoted string ("...", or /.../ and |...| for regexps) with Go's escape rules.
absl::StatusOr<std::string> Unquote(std::string_view quoted);

}  // namespace berth::filters::internal
