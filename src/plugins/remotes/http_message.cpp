#include "plugins/remotes/http_message.h"

#include <charconv>

#include "base/status.h"
#include "plugins/remotes/errors.h"

namespace berth::remotes {
namespace {

constexpr size_t kMaxLine = 16 * 1024;
constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr int kMaxFields = 200;
constexpr int kMaxInterimAnswers = 8;

// Reads header lines up to the blank line into `headers`.
absl::Status ReadFields(const Context& ctx, Connection& conn, Headers* headers) {
  size_t total = 0;
  for (int i = 0; i <= kMaxFields; ++i) {
    ASSIGN_OR_RETURN(std::string line, conn.ReadLine(ctx, kMaxLine));
    if (line.empty()) return absl::OkStatus();
    total += line.size();
    if (total > kMaxHeadBytes) break;
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      return absl::InvalidArgumentError(fmt::format("malformed HTTP header from {}: \"{}\"", conn.endpoint(), line));
    }
    headers->Add(std::string(TrimSpace(std::string_view(line).substr(0, colon))),
                 std::string(TrimSpace(std::string_view(line).substr(colon + 1))));
  }
  return absl::InvalidArgumentError(fmt::format("HTTP header from {} too large", conn.endpoint()));
}

bool HasToken(const std::optional<std::string>& value, std::string_view token) {
  if (!value) return false;
  std::string_view rest = *value;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    if (EqualsIgnoreCase(TrimSpace(rest.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::string SerializeRequest(const HttpRequest& request, std::string_view user_agent) {
  std::string out = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\n", request.method, request.url.target,
                                request.url.Authority());
  if (!user_agent.empty() && !request.headers.Has("User-Agent")) out += fmt::format("User-Agent: {}\r\n", user_agent);
  for (const auto& [name, value] : request.headers.fields()) out += fmt::format("{}: {}\r\n", name, value);
  if (!request.body.empty() || (request.method != "GET" && request.method != "HEAD")) {
    out += fmt::format("Content-Length: {}\r\n", request.body.size());
  }
  out += "\r\n";
  out += request.body;
  return out;
}

absl::StatusOr<ResponseHead> ReadResponseHead(const Context& ctx, Connection& conn) {
  for (int interim = 0; interim <= kMaxInterimAnswers; ++interim) {
    ASSIGN_OR_RETURN(std::string line, conn.ReadLine(ctx, kMaxLine));
    // "HTTP/1.1 200 OK"
    ResponseHead head;
    if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[8] != ' ') {
      return absl::InvalidArgumentError(
          fmt::format("malformed HTTP status line from {}: \"{}\"", conn.endpoint(), line.substr(0, 80)));
    }
    head.http10 = line[7] == '0';
    auto [end, ec] = std::from_chars(line.data() + 9, line.data() + 12, head.status);
    if (ec != std::errc() || end != line.data() + 12 || head.status < 100 || head.status > 599) {
      return absl::InvalidArgumentError(fmt::format("bad HTTP status from {}: \"{}\"", conn.endpoint(), line));
    }
    RETURN_IF_ERROR(ReadFields(ctx, conn, &head.headers));
    if (head.status >= 200 || head.status == 101) return head;
  }
  return absl::InvalidArgumentError(fmt::format("too many interim HTTP answers from {}", conn.endpoint()));
}

HttpBody::HttpBody(std::unique_ptr<Connection> conn, Framing framing, int64_t length, bool keep_alive)
    : conn_(std::move(conn)),
      endpoint_(conn_->endpoint()),
      framing_(framing),
      length_(length),
      remaining_(framing == Framing::kLength ? length : 0),
      keep_alive_(keep_alive),
      done_(framing == Framing::kNone || (framing == Framing::kLength && length == 0)) {}

absl::StatusOr<HttpBody> HttpBody::For(std::string_view method, const ResponseHead& head,
                                       std::unique_ptr<Connection> conn) {
  std::optional<std::string> connection = head.headers.Get("Connection");
  bool keep_alive = head.http10 ? HasToken(connection, "keep-alive") : !HasToken(connection, "close");
  if (method == "HEAD" || head.status == 204 || head.status == 304 || head.status < 200) {
    return HttpBody(std::move(conn), Framing::kNone, 0, keep_alive);
  }
  std::optional<std::string> encoding = head.headers.Get("Transfer-Encoding");
  if (encoding) {
    std::string_view last = TrimSpace(std::string_view(*encoding).substr(encoding->rfind(',') + 1));
    if (EqualsIgnoreCase(last, "chunked")) return HttpBody(std::move(conn), Framing::kChunked, -1, keep_alive);
    return HttpBody(std::move(conn), Framing::kUntilClose, -1, false);
  }
  if (std::optional<std::string> length_text = head.headers.Get("Content-Length")) {
    int64_t length = -1;
    auto [end, ec] = std::from_chars(length_text->data(), length_text->data() + length_text->size(), length);
    if (ec != std::errc() || end != length_text->data() + length_text->size() || length < 0) {
      return absl::InvalidArgumentError(
          fmt::format("bad Content-Length \"{}\" from {}", *length_text, conn->endpoint()));
    }
    return HttpBody(std::move(conn), Framing::kLength, length, keep_alive);
  }
  return HttpBody(std::move(conn), Framing::kUntilClose, -1, false);
}

absl::Status HttpBody::PrematureEof() const {
  std::string expected = framing_ == Framing::kLength ? fmt::format(" of {}", length_) : "";
  return TransientError(kReasonEof, fmt::format("{} closed the connection after {}{} body bytes", endpoint_,
                                                received_, expected));
}

absl::StatusOr<size_t> HttpBody::Read(const Context& ctx, std::span<char> buf) {
  if (done_ || buf.empty()) return 0;
  if (framing_ == Framing::kChunked) return ReadChunked(ctx, buf);
  if (framing_ == Framing::kLength) buf = buf.first(static_cast<size_t>(std::min<int64_t>(buf.size(), remaining_)));
  ASSIGN_OR_RETURN(size_t n, conn_->Read(ctx, buf));
  received_ += static_cast<int64_t>(n);
  if (framing_ == Framing::kUntilClose) {
    if (n == 0) done_ = true;
    return n;
  }
  if (n == 0) return PrematureEof();
  remaining_ -= static_cast<int64_t>(n);
  if (remaining_ == 0) done_ = true;
  return n;
}

absl::StatusOr<size_t> HttpBody::ReadChunked(const Context& ctx, std::span<char> buf) {
  // Each pass either returns data or consumes one framing line; a body has at most a few lines per chunk.
  for (int lines = 0; lines < kMaxFields + 4; ++lines) {
    if (in_chunk_ && remaining_ > 0) {
      ASSIGN_OR_RETURN(size_t n, conn_->Read(ctx, buf.first(static_cast<size_t>(
                                                    std::min<int64_t>(buf.size(), remaining_)))));
      if (n == 0) return PrematureEof();
      remaining_ -= static_cast<int64_t>(n);
      received_ += static_cast<int64_t>(n);
      return n;
    }
    absl::StatusOr<std::string> line = conn_->ReadLine(ctx, kMaxLine);
    if (!line.ok()) return IsTransient(line.status()) ? PrematureEof() : line.status();
    if (in_chunk_) {  // the CRLF after a chunk's data
      if (!line->empty()) {
        return absl::InvalidArgumentError(fmt::format("malformed chunked body from {}", endpoint_));
      }
      in_chunk_ = false;
      continue;
    }
    std::string_view size_text = TrimSpace(std::string_view(*line).substr(0, line->find(';')));
    int64_t size = -1;
    auto [end, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc() || end != size_text.data() + size_text.size() || size < 0) {
      return absl::InvalidArgumentError(fmt::format("bad chunk size \"{}\" from {}", *line, endpoint_));
    }
    if (size == 0) {
      Headers trailers;
      RETURN_IF_ERROR(ReadFields(ctx, *conn_, &trailers));
      done_ = true;
      return 0;
    }
    in_chunk_ = true;
    remaining_ = size;
  }
  return absl::InvalidArgumentError(fmt::format("malformed chunked body from {}", endpoint_));
}

absl::StatusOr<std::string> HttpBody::ReadAll(const Context& ctx, int64_t cap) {
  if (framing_ == Framing::kLength && length_ > cap) {
    return absl::InvalidArgumentError(
        fmt::format("response from {} is {} bytes, over the {} byte cap", endpoint_, length_, cap));
  }
  std::string out;
  char buf[16 * 1024];
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, Read(ctx, buf));
    if (n == 0) return out;
    if (static_cast<int64_t>(out.size() + n) > cap) {
      return absl::InvalidArgumentError(
          fmt::format("response from {} is over the {} byte cap", endpoint_, cap));
    }
    out.append(buf, n);
  }
}

std::unique_ptr<Connection> HttpBody::TakeReusableConnection() {
  if (!done_ || !keep_alive_ || framing_ == Framing::kUntilClose) return nullptr;
  return std::move(conn_);
}

}  // namespace berth::remotes
