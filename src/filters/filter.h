// containerd's filter language: a list of filters is an OR; each filter is a comma-separated AND of selectors
// `field.path==value`, `!=`, `~=` (regular expression) or a bare `field.path` (present). Path parts and values may
// be quoted ("..." or /.../ for regexps), e.g. `labels."containerd.io/gc.root"`, `name~=^docker.io/`.
//
// Semantics follow containerd 1.6 (filters/filter.go): `==` needs the field present and equal; `!=` and `~=`
// compare against "" when the field is absent; `~=` is an unanchored RE2 (= Go regexp) search. One deliberate
// difference: an invalid regular expression is an InvalidArgument at Parse, where containerd silently matches
// nothing.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::filters {

// Looks up a field by path (["labels", "a.b"]) on the object being matched; nullopt if absent.
using Adaptor = std::function<std::optional<std::string>(const std::vector<std::string>& fieldpath)>;

// Immutable once parsed; Match may be called from any number of threads.
class Filter {
 public:
  // Parses one filter per entry; an empty list or an empty entry matches everything. InvalidArgument on syntax
  // errors, naming the filter and the position (containerd's format: `filters: parse error: [a >|b|< c]: why`).
  static absl::StatusOr<Filter> Parse(const std::vector<std::string>& filters);
  bool Match(const Adaptor& adaptor) const;

  struct Selector;  // defined in filter.cpp
  Filter();
  ~Filter();
  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;

 private:
  std::vector<std::vector<Selector>> any_of_;  // OR of ANDs; empty outer list = match all
};

// Adaptor helper for label maps, as containerd's checkMap: `fieldpath` is the path *below* "labels" (the
// selector's path without its first element), joined with "." to form the key, so `labels.a.b` and
// `labels."a.b"` both look up key "a.b". An empty map has no fields.
std::optional<std::string> LabelLookup(const std::map<std::string, std::string>& labels,
                                       const std::vector<std::string>& fieldpath);

}  // namespace berth::filters
