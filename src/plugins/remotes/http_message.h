// HTTP/1.1 framing on a Connection: the request head, the response head, and a response body reader that
// understands Content-Length, chunked and read-until-close bodies. The body is pulled by the caller.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "base/context.h"
#include "plugins/remotes/connection.h"
#include "plugins/remotes/headers.h"
#include "plugins/remotes/url.h"

namespace berth::remotes {

struct HttpRequest {
  std::string method = "GET";
  Url url;
  Headers headers;   // Host, User-Agent and Content-Length are added when sent
  std::string body;  // small bodies only (tests push manifests); empty for GET/HEAD
};

// "GET /v2/ HTTP/1.1\r\nHost: ...\r\n...\r\n\r\n" + body.
std::string SerializeRequest(const HttpRequest& request, std::string_view user_agent);

struct ResponseHead {
  int status = 0;
  bool http10 = false;
  Headers headers;
};

// Reads the status line and the header fields (skipping 1xx interim answers); bounded to 64 KiB and 200 fields.
absl::StatusOr<ResponseHead> ReadResponseHead(const Context& ctx, Connection& conn);

// The body of one response, read from the connection that carried it.
class HttpBody {
 public:
  // Picks the framing from the method, the status and the headers (RFC 9112 section 6.3).
  static absl::StatusOr<HttpBody> For(std::string_view method, const ResponseHead& head,
                                      std::unique_ptr<Connection> conn);

  // Up to buf.size() body bytes; 0 at the end. A connection that closes early is a transient "eof" error.
  absl::StatusOr<size_t> Read(const Context& ctx, std::span<char> buf);
  // The whole body; InvalidArgument if it exceeds `cap` bytes (checked against Content-Length first).
  absl::StatusOr<std::string> ReadAll(const Context& ctx, int64_t cap);

  int64_t content_length() const { return framing_ == Framing::kLength ? length_ : -1; }
  bool complete() const { return done_; }
  // The connection, if the body was read to its end and the server allows another request on it.
  std::unique_ptr<Connection> TakeReusableConnection();
  const std::string& endpoint() const { return endpoint_; }

 private:
  enum class Framing { kNone, kLength, kChunked, kUntilClose };
  HttpBody(std::unique_ptr<Connection> conn, Framing framing, int64_t length, bool keep_alive);
  absl::StatusOr<size_t> ReadChunked(const Context& ctx, std::span<char> buf);
  absl::Status PrematureEof() const;

  std::unique_ptr<Connection> conn_;
  std::string endpoint_;
  Framing framing_;
  int64_t length_;          // kLength: the total
  int64_t remaining_ = 0;   // kLength: bytes left; kChunked: bytes left in the current chunk
  int64_t received_ = 0;
  bool keep_alive_;
  bool done_ = false;
  bool in_chunk_ = false;   // kChunked: between a size line and the CRLF after the data
};

}  // namespace berth::remotes
