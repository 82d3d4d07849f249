#include "ttrpc/messages.h"

#include "base/status.h"
#include "ttrpc/protowire.h"

namespace berth::ttrpc {

std::string Request::Encode() const {
  protowire::Writer w;
  w.String(1, service);
  w.String(2, method);
  w.String(3, payload);
  w.Int(4, timeout_nano);
  for (const auto& [key, value] : metadata) {
    protowire::Writer kv;
    kv.String(1, key);
    kv.String(2, value);
    w.Message(5, kv.data());
  }
  return w.Take();
}

absl::StatusOr<Request> Request::Decode(std::string_view data) {
  Request req;
  protowire::Reader r(data);
  while (r.Next()) {
    switch (r.field()) {
      case 1: req.service = r.string(); break;
      case 2: req.method = r.string(); break;
      case 3: req.payload = r.string(); break;
      case 4: req.timeout_nano = static_cast<int64_t>(r.varint()); break;
      case 5: {
        std::pair<std::string, std::string> kv;
        protowire::Reader kr(r.bytes());
        while (kr.Next()) {
          if (kr.field() == 1) kv.first = kr.string();
          if (kr.field() == 2) kv.second = kr.string();
        }
        RETURN_IF_ERROR(WithContext(kr.status(), "ttrpc request metadata"));
        req.metadata.push_back(std::move(kv));
        break;
      }
      default: break;
    }
  }
  RETURN_IF_ERROR(WithContext(r.status(), "ttrpc request"));
  return req;
}

std::string Response::Encode() const {
  protowire::Writer w;
  if (!status.ok()) {
    protowire::Writer s;
    s.Int(1, static_cast<int64_t>(status.code()));
    s.String(2, std::string(status.message()));
    w.Message(1, s.data());
  }
  w.String(2, payload);
  return w.Take();
}

absl::StatusOr<Response> Response::Decode(std::string_view data) {
  Response resp;
  protowire::Reader r(data);
  while (r.Next()) {
    if (r.field() == 1) {
      int64_t code = 0;
      std::string message;
      protowire::Reader sr(r.bytes());
      while (sr.Next()) {
        if (sr.field() == 1) code = static_cast<int64_t>(sr.varint());
        if (sr.field() == 2) message = sr.string();
      }
      RETURN_IF_ERROR(WithContext(sr.status(), "ttrpc response status"));
      if (code < 0 || code > 16) code = static_cast<int64_t>(absl::StatusCode::kUnknown);
      resp.status = absl::Status(static_cast<absl::StatusCode>(code), message);
    } else if (r.field() == 2) {
      resp.payload = r.string();
    }
  }
  RETURN_IF_ERROR(WithContext(r.status(), "ttrpc response"));
  return resp;
}

std::string MetadataValue(const Metadata& md, std::string_view key) {
  for (const auto& [k, v] : md) {
    if (k == key) return v;
  }
  return "";
}

}  // namespace berth::ttrpc
