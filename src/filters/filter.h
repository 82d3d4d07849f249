// containerd's filter language: a list of filters is an OR; each filter is a comma-separated AND of selectors
// `field.path==value`, `!=`, `~=` (regular expression) or a bare `field.path` (present). Path parts and values may
// be quoted ("..." or /.../ for regexps), e.g. `labels."containerd.io/gc.root"`, `name~=^docker.io/`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <functional>

#include "absl/status/statusor.h"

namespace berth::filters {

// Looks up a field by path (["labels", "a.b"]) on the object being matched; nullopt if absent.
using Adaptor = std::function<std::optional<std::string>(const std::vector<std::string>& fieldpath)>;

class Filter {
 public:
  // Parses one filter per entry; an empty list or an empty entry matches everything. InvalidArgument on syntax
  // errors, naming the filter and the position.
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

// Adaptor helper for the common case of an object with labels plus a few top-level fields.
std::optional<std::string> LabelLookup(const std::map<std::string, std::string>& labels,
                                       const std::vector<std::string>& fieldpath);

}  // namespace berth::filters
