#include "plugins/content/local/field_filter.h"

#include "fmt/format.h"

namespace berth::content {
namespace {

// Splits at commas outside double quotes.
std::vector<std::string_view> SplitClauses(std::string_view s) {
  std::vector<std::string_view> out;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && quoted) {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    } else if (s[i] == ',' && !quoted) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::optional<std::string> Unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::string(s);
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\') {
      if (i + 2 >= s.size()) return std::nullopt;
      ++i;
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

absl::StatusOr<FieldFilter> FieldFilter::Parse(const Filters& filters, std::string_view field) {
  FieldFilter f;
  for (const std::string& filter : filters) {
    if (Trim(filter).empty()) continue;
    std::vector<Clause> clauses;
    for (std::string_view clause : SplitClauses(filter)) {
      clause = Trim(clause);
      size_t op_at = clause.find_first_of("=!~");
      auto invalid = [&](std::string_view why) {
        return absl::InvalidArgumentError(
            fmt::format("filter \"{}\": {}; this store matches only {}==, {}!= and {}~=", filter,
                        why, field, field, field, field));
      };
      if (op_at == std::string_view::npos || op_at + 2 > clause.size() ||
          clause[op_at + 1] != '=') {
        return invalid("want <field><op><value>");
      }
      if (Trim(clause.substr(0, op_at)) != field) return invalid("unsupported field");
      std::optional<std::string> value = Unquote(Trim(clause.substr(op_at + 2)));
      if (!value) return invalid("unterminated escape");
      Clause c{.op = Op::kEqual, .value = *value, .regex = {}};
      if (clause[op_at] == '!') c.op = Op::kNotEqual;
      if (clause[op_at] == '~') {
        c.op = Op::kRegex;
        try {
          c.regex = std::regex(c.value, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          return invalid(fmt::format("bad regular expression: {}", e.what()));
        }
      }
      clauses.push_back(std::move(c));
    }
    f.alternatives_.push_back(std::move(clauses));
  }
  return f;
}

bool FieldFilter::Match(const std::string& value) const {
  if (alternatives_.empty()) return true;
  for (const std::vector<Clause>& clauses : alternatives_) {
    bool all = true;
    for (const Clause& c : clauses) {
      bool ok = c.op == Op::kEqual      ? value == c.value
                : c.op == Op::kNotEqual ? value != c.value
                                        : std::regex_search(value, c.regex);
      if (!ok) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

}  // namespace berth::content
