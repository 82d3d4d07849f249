// The slice of containerd's filter syntax LocalStore evaluates itself: one field compared with ==,
// != or ~= (regular expression search), clauses joined by ',' (and), filter strings alternatives
// (or). Values may be double-quoted. Richer filters (labels, other fields) are the metadata store's
// job; LocalStore answers them InvalidArgument rather than silently ignoring them.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/content/content.h"

namespace berth::content {

class FieldFilter {
 public:
  // `field` is the only field name accepted ("ref" for ingests, "digest" for blobs).
  static absl::StatusOr<FieldFilter> Parse(const Filters& filters, std::string_view field);

  bool Match(const std::string& value) const;

 private:
  enum class Op { kEqual, kNotEqual, kRegex };
  struct Clause {
    Op op;
    std::string value;
    std::regex regex;
  };
  std::vector<std::vector<Clause>> alternatives_;  // empty: everything matches
};

}  // namespace berth::content
