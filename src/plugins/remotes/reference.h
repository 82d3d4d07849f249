// Image references with docker's normalisation:
//   busybox                       → docker.io/library/busybox:latest
//   user/app:1                    → docker.io/user/app:1
//   127.0.0.1:5000/a/b:tag        → registry 127.0.0.1:5000, repository a/b, tag "tag"
//   ghcr.io/x/y@sha256:<hex>      → digest reference (a tag beside the digest is kept but the digest wins)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "digest/digest.h"

namespace berth::remotes {

struct Reference {
  std::string registry;    // "docker.io", "127.0.0.1:5000" — the key of RegistryOptions::hosts
  std::string repository;  // "library/busybox"
  std::string tag;         // empty when only a digest was given
  std::optional<Digest> digest;

  // InvalidArgument naming `s` for anything docker would reject (uppercase repository, empty parts, bad digest).
  static absl::StatusOr<Reference> Parse(std::string_view s);

  // The host:port the v2 API is served on ("registry-1.docker.io" for docker.io).
  std::string ApiHost() const;
  // "<tag>" or "sha256:..." — the last part of /v2/<repo>/manifests/<object>.
  std::string Object() const;
  // The normalised full name: "docker.io/library/busybox:latest", "...@sha256:...", or both.
  std::string String() const;
};

}  // namespace berth::remotes
