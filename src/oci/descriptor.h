// OCI content descriptor: what an image, manifest or layer points at.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "digest/digest.h"

namespace berth::oci {

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::map<std::string, std::string> annotations;

  bool operator==(const Descriptor&) const = default;
};

}  // namespace berth::oci
