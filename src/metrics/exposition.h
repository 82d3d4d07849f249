// The Prometheus text exposition format 0.0.4, piece by piece: names, escaping, values and the sample lines of
// each metric type. Families and the registry put the pieces together (HELP, TYPE, then samples).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "metrics/counter.h"
#include "metrics/gauge.h"
#include "metrics/histogram.h"

namespace berth::metrics {

// What the content type of a scrape says.
inline constexpr std::string_view kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

bool IsValidMetricName(std::string_view name);  // [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidLabelName(std::string_view name);   // [a-zA-Z_][a-zA-Z0-9_]*, not __reserved

// HELP text: `\` and newline escaped. Label values: `\`, `"` and newline escaped.
std::string EscapeHelp(std::string_view help);
std::string EscapeLabelValue(std::string_view value);
// Go's strconv 'g' spelling as Prometheus parses it: shortest round-trip digits, +Inf, -Inf, NaN.
std::string FormatValue(double value);

// `a="x",b="y"`: the inside of the braces, without them (empty for no labels).
std::string FormatLabels(std::span<const std::string> names, std::span<const std::string> values);

// One metric's sample lines; `labels` is a FormatLabels result.
void AppendSamples(std::string* out, std::string_view name, std::string_view labels, const Counter& counter);
void AppendSamples(std::string* out, std::string_view name, std::string_view labels, const Gauge& gauge);
void AppendSamples(std::string* out, std::string_view name, std::string_view labels, const Histogram& histogram);

}  // namespace berth::metrics
