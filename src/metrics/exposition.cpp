#include "metrics/exposition.h"

#include <cmath>

#include "fmt/format.h"

namespace berth::metrics {

namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

// `name{labels} value` or `name value`; `extra` is one more label (a histogram's le) after `labels`.
void AppendLine(std::string* out, std::string_view name, std::string_view suffix, std::string_view labels,
                std::string_view extra, std::string_view value) {
  out->append(name).append(suffix);
  if (!labels.empty() || !extra.empty()) {
    out->push_back('{');
    out->append(labels);
    if (!labels.empty() && !extra.empty()) out->push_back(',');
    out->append(extra);
    out->push_back('}');
  }
  out->push_back(' ');
  out->append(value);
  out->push_back('\n');
}

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !(IsNameStart(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!IsNameStart(c) && !IsDigit(c) && c != ':') return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0]) || name.starts_with("__")) return false;
  for (char c : name) {
    if (!IsNameStart(c) && !IsDigit(c)) return false;
  }
  return true;
}

std::string EscapeHelp(std::string_view help) { return Escape(help, /*quotes=*/false); }
std::string EscapeLabelValue(std::string_view value) { return Escape(value, /*quotes=*/true); }

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

std::string FormatLabels(std::span<const std::string> names, std::span<const std::string> values) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += fmt::format("{}=\"{}\"", names[i], EscapeLabelValue(values[i]));
  }
  return out;
}

void AppendSamples(std::string* out, std::string_view name, std::string_view labels, const Counter& counter) {
  AppendLine(out, name, "", labels, "", fmt::format("{}", counter.value()));
}

void AppendSamples(std::string* out, std::string_view name, std::string_view labels, const Gauge& gauge) {
  AppendLine(out, name, "", labels, "", FormatValue(gauge.value()));
}

void AppendSamples(std::string* out, std::string_view name, std::string_view labels, const Histogram& histogram) {
  Histogram::Snapshot s = histogram.Read();
  const std::vector<double>& bounds = histogram.bounds();
  for (size_t i = 0; i < s.cumulative.size(); ++i) {
    std::string le = i < bounds.size() ? FormatValue(bounds[i]) : "+Inf";
    AppendLine(out, name, "_bucket", labels, fmt::format("le=\"{}\"", le), fmt::format("{}", s.cumulative[i]));
  }
  AppendLine(out, name, "_sum", labels, "", FormatValue(s.sum));
  AppendLine(out, name, "_count", labels, "", fmt::format("{}", s.count));
}

}  // namespace berth::metrics
