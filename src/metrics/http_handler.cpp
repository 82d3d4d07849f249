#include "metrics/http_handler.h"

#include "fmt/format.h"
#include "metrics/exposition.h"

namespace berth::metrics {

namespace {

std::string Response(int code, std::string_view reason, std::string_view content_type, std::string_view body,
                     bool send_body, std::string_view extra_headers = "") {
  std::string out =
      fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}Connection: close\r\n\r\n", code,
                  reason, content_type, body.size(), extra_headers);
  if (send_body) out.append(body);
  return out;
}

}  // namespace

std::string PlainResponse(int code, std::string_view reason, std::string_view body) {
  return Response(code, reason, "text/plain; charset=utf-8", body, true);
}

std::string RespondToRequest(std::string_view head, const Registry& registry) {
  // Request line: METHOD SP TARGET SP HTTP/x.y
  std::string_view line = head.substr(0, head.find('\n'));
  if (line.ends_with('\r')) line.remove_suffix(1);
  size_t first_space = line.find(' ');
  size_t last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space ||
      !line.substr(last_space + 1).starts_with("HTTP/1.")) {
    return PlainResponse(400, "Bad Request", "bad request line\n");
  }
  std::string_view method = line.substr(0, first_space);
  std::string_view target = line.substr(first_space + 1, last_space - first_space - 1);
  std::string_view path = target.substr(0, target.find('?'));

  if (path != kMetricsPath) return PlainResponse(404, "Not Found", "404 page not found\n");
  if (method != "GET" && method != "HEAD") {
    return Response(405, "Method Not Allowed", "text/plain; charset=utf-8", "method not allowed\n", true,
                    "Allow: GET, HEAD\r\n");
  }
  return Response(200, "OK", kExpositionContentType, registry.Render(), method == "GET");
}

}  // namespace berth::metrics
