#include "filters/scanner.h"

#include <cstdint>

#include "fmt/format.h"

namespace berth::filters::internal {

namespace {

constexpr int32_t kRuneError = 0xFFFD;
constexpr int32_t kMaxRune = 0x10FFFF;

// Go's utf8.DecodeRuneInString: invalid or truncated sequences decode as (kRuneError, 1).
std::pair<int32_t, int> DecodeRune(std::string_view s) {
  if (s.empty()) return {kRuneError, 0};
  auto b = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  uint8_t c = b(0);
  if (c < 0x80) return {c, 1};
  int n;
  int32_t r;
  int32_t min;
  if ((c & 0xE0) == 0xC0) {
    n = 2, r = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, r = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, r = c & 0x07, min = 0x10000;
  } else {
    return {kRuneError, 1};
  }
  if (s.size() < static_cast<size_t>(n)) return {kRuneError, 1};
  for (int i = 1; i < n; ++i) {
    if ((b(i) & 0xC0) != 0x80) return {kRuneError, 1};
    r = (r << 6) | (b(i) & 0x3F);
  }
  if (r < min || r > kMaxRune || (r >= 0xD800 && r <= 0xDFFF)) return {kRuneError, 1};
  return {r, n};
}

void AppendRune(std::string* out, int32_t r) {
  if (r < 0 || r > kMaxRune || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

// unicode.IsSpace.
bool IsSpace(int r) {
  switch (r) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

bool IsFieldRune(int r) {
  return r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9');
}
bool IsOperatorRune(int r) { return r == '=' || r == '!' || r == '~'; }
bool IsQuoteRune(int r) { return r == '/' || r == '|' || r == '"'; }
bool IsSeparatorRune(int r) { return r == ',' || r == '.'; }

// Go accepts letters, digits, graphic and punctuation runes; for ASCII that is the printable range. Non-ASCII runes
// that are not spaces are accepted (the scanner has already rejected invalid UTF-8).
bool IsValueRune(int r) {
  if (r < 0 || r == ',' || IsSpace(r)) return false;
  if (r < 0x80) return r > 0x20 && r < 0x7F;
  return r >= 0xA0;
}

int DigitValue(int ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return 16;  // larger than any legal digit
}

absl::Status QuoteSyntaxError() { return absl::InvalidArgumentError("quote syntax error"); }

}  // namespace

int Scanner::Next() {
  if (pos_ >= input_.size()) return kTokenEof;
  pos_ = ppos_;
  auto [r, w] = DecodeRune(input_.substr(ppos_));
  ppos_ += w;
  if (r == kRuneError) {
    if (w > 0) {
      Error("rune error");
      return kTokenIllegal;
    }
    return kTokenEof;
  }
  if (r == 0) {
    Error("unexpected null");
    return kTokenIllegal;
  }
  return r;
}

int Scanner::Peek() {
  size_t pos = pos_;
  size_t ppos = ppos_;
  int ch = Next();
  pos_ = pos;
  ppos_ = ppos;
  return ch;
}

Token Scanner::Scan() {
  int ch = Next();
  size_t pos = pos_;
  auto text = [&] { return input_.substr(pos, ppos_ - pos); };
  while (true) {
    if (ch == kTokenEof || ch == kTokenIllegal) break;
    if (IsQuoteRune(ch)) {
      if (!ScanQuoted(ch)) return {pos, kTokenIllegal, text()};
      return {pos, kTokenQuoted, text()};
    }
    if (IsSeparatorRune(ch)) {
      value_ = false;
      return {pos, kTokenSeparator, text()};
    }
    if (IsOperatorRune(ch)) {
      ScanOperator();
      value_ = true;
      return {pos, kTokenOperator, text()};
    }
    if (IsSpace(ch)) {
      ch = Next();
      pos = pos_;
      continue;
    }
    if (value_) {
      ScanValue();
      value_ = false;
      return {pos, kTokenValue, text()};
    }
    if (IsFieldRune(ch)) {
      ScanField();
      return {pos, kTokenField, text()};
    }
    break;
  }
  return {pos_, ch, {}};
}

void Scanner::ScanField() {
  while (IsFieldRune(Peek())) Next();
}

void Scanner::ScanOperator() {
  while (IsOperatorRune(Peek())) Next();
}

void Scanner::ScanValue() {
  while (IsValueRune(Peek())) Next();
}

bool Scanner::ScanQuoted(int quote) {
  bool illegal = false;
  int ch = Next();  // the character after the opening quote
  while (ch != quote) {
    if (ch == '\n' || ch < 0) {
      Error("quoted literal not terminated");
      return false;
    }
    if (ch == '\\') {
      bool legal = false;
      ch = ScanEscape(quote, &legal);
      if (!legal) illegal = true;
    } else {
      ch = Next();
    }
  }
  return !illegal;
}

int Scanner::ScanEscape(int quote, bool* legal) {
  int ch = Next();  // the character after the backslash
  *legal = false;
  switch (ch) {
    case 'a': case 'b': case 'f': case 'n': case 'r': case 't': case 'v': case '\\':
      *legal = true;
      return Next();
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
      return ScanDigits(ch, 8, 3, legal);
    case 'x':
      return ScanDigits(Next(), 16, 2, legal);
    case 'u':
      return ScanDigits(Next(), 16, 4, legal);
    case 'U':
      return ScanDigits(Next(), 16, 8, legal);
    default:
      if (ch == quote) {
        *legal = true;
        return Next();
      }
      Error("illegal escape sequence");
      return ch;
  }
}

int Scanner::ScanDigits(int ch, int base, int n, bool* legal) {
  while (n > 0 && DigitValue(ch) < base) {
    ch = Next();
    --n;
  }
  if (n > 0) {
    Error("illegal numeric escape sequence");
    *legal = false;
    return ch;
  }
  *legal = true;
  return ch;
}

void Scanner::Error(std::string_view msg) {
  if (err_.empty()) err_ = std::string(msg);
}

absl::StatusOr<std::string> Unquote(std::string_view s) {
  if (s.size() < 2) return QuoteSyntaxError();
  char quote = s.front();
  if (quote != s.back()) return QuoteSyntaxError();
  if (quote != '"' && quote != '\'' && quote != '|' && quote != '/') return QuoteSyntaxError();
  s = s.substr(1, s.size() - 2);
  if (s.find('\n') != std::string_view::npos) return QuoteSyntaxError();

  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    auto c = static_cast<unsigned char>(s[0]);
    if (c == static_cast<unsigned char>(quote)) return QuoteSyntaxError();
    if (c >= 0x80) {
      auto [r, w] = DecodeRune(s);
      AppendRune(&out, r);
      s.remove_prefix(w);
    } else if (c != '\\') {
      out.push_back(static_cast<char>(c));
      s.remove_prefix(1);
    } else {
      if (s.size() <= 1) return QuoteSyntaxError();
      char e = s[1];
      s.remove_prefix(2);
      switch (e) {
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'v': out.push_back('\v'); break;
        case '\\': out.push_back('\\'); break;
        case 'x': case 'u': case 'U': {
          size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (s.size() < n) return QuoteSyntaxError();
          int32_t v = 0;
          for (size_t j = 0; j < n; ++j) {
            int d = DigitValue(s[j]);
            if (d >= 16) return QuoteSyntaxError();
            v = (v << 4) | d;
          }
          s.remove_prefix(n);
          if (e == 'x') {
            out.push_back(static_cast<char>(v));  // a single byte, possibly not UTF-8, as Go does
          } else {
            if (v > kMaxRune) return QuoteSyntaxError();
            AppendRune(&out, v);
          }
          break;
        }
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
          if (s.size() < 2) return QuoteSyntaxError();
          int v = e - '0';
          for (size_t j = 0; j < 2; ++j) {
            int x = s[j] - '0';
            if (x < 0 || x > 7) return QuoteSyntaxError();
            v = (v << 3) | x;
          }
          s.remove_prefix(2);
          if (v > 255) return QuoteSyntaxError();
          out.push_back(static_cast<char>(v));
          break;
        }
        case '\'': case '"': case '|': case '/':
          if (e != quote) return QuoteSyntaxError();
          out.push_back(e);
          break;
        default:
          return QuoteSyntaxError();
      }
    }
    // A single-quoted literal holds exactly one character.
    if (quote == '\'' && !s.empty()) return QuoteSyntaxError();
  }
  return out;
}

}  // namespace berth::filters::internal
