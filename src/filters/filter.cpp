// The parser follows containerd's filters/parser.go grammar:
//   selectors := selector ("," selector)*
//   selector  := fieldpath (operator value)
//   fieldpath := field ('.' field)*
//   field     := quoted | [A-Za-z0-9_]+
//   operator  := "==" | "!=" | "~="
//   value     := quoted | [^\s,]+
#include "filters/filter.h"

#include <memory>

#include "filters/scanner.h"
#include "fmt/format.h"
#include "re2/re2.h"

namespace berth::filters {

enum class Operator { kPresent, kEqual, kNotEqual, kMatches };

struct Filter::Selector {
  std::vector<std::string> fieldpath;
  Operator op = Operator::kPresent;
  std::string value;
  std::shared_ptr<const re2::RE2> re;  // set for kMatches; RE2 is thread-safe for matching

  bool Match(const Adaptor& adaptor) const {
    std::optional<std::string> field = adaptor(fieldpath);
    switch (op) {
      case Operator::kPresent:
        return field.has_value();
      case Operator::kEqual:
        return field.has_value() && *field == value;
      case Operator::kNotEqual:
        return field.value_or("") != value;
      case Operator::kMatches:
        return re2::RE2::PartialMatch(field.value_or(""), *re);
    }
    return false;
  }
};

namespace {

using internal::Scanner;
using internal::Token;

class Parser {
 public:
  explicit Parser(std::string_view input) : input_(input), scanner_(input) {}

  absl::StatusOr<std::vector<Filter::Selector>> Parse() {
    std::vector<Filter::Selector> all;
    absl::StatusOr<Filter::Selector> s = ParseSelector();
    if (!s.ok()) return s.status();
    all.push_back(*std::move(s));
    while (true) {
      int ch = scanner_.Peek();
      if (ch == internal::kTokenEof) break;
      if (ch != ',') return Error(scanner_.ppos(), fmt::format("unexpected input: {}", Char(ch)));
      Token t = scanner_.Scan();
      if (t.kind != internal::kTokenSeparator) return Error(t.pos, "expected a separator");
      s = ParseSelector();
      if (!s.ok()) return s.status();
      all.push_back(*std::move(s));
    }
    return all;
  }

 private:
  absl::StatusOr<Filter::Selector> ParseSelector() {
    Filter::Selector sel;
    absl::StatusOr<std::vector<std::string>> path = ParseFieldpath();
    if (!path.ok()) return path.status();
    sel.fieldpath = *std::move(path);

    int ch = scanner_.Peek();
    if (ch == ',' || ch == internal::kTokenSeparator || ch == internal::kTokenEof) return sel;

    Token t = scanner_.Scan();
    if (t.kind == internal::kTokenIllegal) return Error(t.pos, scanner_.error());
    if (t.kind != internal::kTokenOperator) return Error(t.pos, R"(expected an operator ("=="|"!="|"~="))");
    if (t.text == "==") {
      sel.op = Operator::kEqual;
    } else if (t.text == "!=") {
      sel.op = Operator::kNotEqual;
    } else if (t.text == "~=") {
      sel.op = Operator::kMatches;
    } else {
      return Error(t.pos, fmt::format("unsupported operator \"{}\"", t.text));
    }

    t = scanner_.Scan();
    switch (t.kind) {
      case internal::kTokenValue:
      case internal::kTokenField:
        sel.value = std::string(t.text);
        break;
      case internal::kTokenQuoted: {
        absl::StatusOr<std::string> v = Unquote(t, /*allow_alt_quotes=*/sel.op == Operator::kMatches);
        if (!v.ok()) return v.status();
        sel.value = *std::move(v);
        break;
      }
      case internal::kTokenIllegal:
        return Error(t.pos, scanner_.error());
      default:
        return Error(t.pos, "expected value or quoted");
    }

    if (sel.op == Operator::kMatches) {
      re2::RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_shared<re2::RE2>(sel.value, options);
      if (!re->ok()) {
        return absl::InvalidArgumentError(fmt::format("filters: [{}]: error compiling regexp \"{}\": {}",
                                                      input_, sel.value, re->error()));
      }
      sel.re = std::move(re);
    }
    return sel;
  }

  absl::StatusOr<std::vector<std::string>> ParseFieldpath() {
    std::vector<std::string> path;
    absl::StatusOr<std::string> f = ParseField();
    if (!f.ok()) return f.status();
    path.push_back(*std::move(f));
    while (scanner_.Peek() == '.') {
      Token t = scanner_.Scan();
      if (t.kind != internal::kTokenSeparator) return Error(t.pos, "expected a field separator (`.`)");
      f = ParseField();
      if (!f.ok()) return f.status();
      path.push_back(*std::move(f));
    }
    return path;
  }

  absl::StatusOr<std::string> ParseField() {
    Token t = scanner_.Scan();
    switch (t.kind) {
      case internal::kTokenField:
        return std::string(t.text);
      case internal::kTokenQuoted:
        return Unquote(t, /*allow_alt_quotes=*/false);
      case internal::kTokenIllegal:
        return Error(t.pos, scanner_.error());
      default:
        return Error(t.pos, "expected field or quoted");
    }
  }

  absl::StatusOr<std::string> Unquote(const Token& t, bool allow_alt_quotes) {
    if (!allow_alt_quotes && t.text[0] != '\'' && t.text[0] != '"') {
      return Error(t.pos, "invalid quote encountered");
    }
    absl::StatusOr<std::string> v = internal::Unquote(t.text);
    if (!v.ok()) return Error(t.pos, fmt::format("unquoting failed: {}", std::string(v.status().message())));
    return v;
  }

  // The character as containerd prints it in "unexpected input".
  std::string Char(int ch) const {
    if (ch < 0) return "EOF";
    if (ch < 0x80) return std::string(1, static_cast<char>(ch));
    return fmt::format("U+{:04X}", ch);
  }

  absl::Status Error(size_t pos, std::string_view msg) const {
    std::string where;
    if (pos < input_.size()) {
      where = fmt::format("[{} >|{}|< {}]", input_.substr(0, pos), input_.substr(pos, 1), input_.substr(pos + 1));
    } else {
      where = fmt::format("[{}]", input_);
    }
    return absl::InvalidArgumentError(fmt::format("filters: parse error: {}: {}", where, msg));
  }

  std::string_view input_;
  Scanner scanner_;
};

}  // namespace

Filter::Filter() = default;
Filter::~Filter() = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;

absl::StatusOr<Filter> Filter::Parse(const std::vector<std::string>& filters) {
  Filter out;
  for (const std::string& entry : filters) {
    if (entry.empty()) {
      out.any_of_.emplace_back();  // an empty AND: matches everything, as containerd's Always
      continue;
    }
    absl::StatusOr<std::vector<Selector>> all = Parser(entry).Parse();
    if (!all.ok()) return all.status();
    out.any_of_.push_back(*std::move(all));
  }
  return out;
}

bool Filter::Match(const Adaptor& adaptor) const {
  if (any_of_.empty()) return true;
  for (const std::vector<Selector>& all : any_of_) {
    bool ok = true;
    for (const Selector& s : all) {
      if (!s.Match(adaptor)) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

std::optional<std::string> LabelLookup(const std::map<std::string, std::string>& labels,
                                       const std::vector<std::string>& fieldpath) {
  if (labels.empty()) return std::nullopt;
  std::string key;
  for (size_t i = 0; i < fieldpath.size(); ++i) {
    if (i > 0) key += '.';
    key += fieldpath[i];
  }
  auto it = labels.find(key);
  if (it == labels.end()) return std::nullopt;
  return it->second;
}

}  // namespace berth::filters
