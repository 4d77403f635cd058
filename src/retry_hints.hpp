#pragma once
// Parsers for the ways providers say "come back later" (private). Each returns nullopt for
// text it does not recognise, never throws, and never returns a negative delay.

#include <chrono>
#include <optional>
#include <string_view>

#include "http/transport.hpp"

namespace polyrouter::detail {

using std::chrono::milliseconds;

/// Retry-After: seconds (integer or float) or an IMF-fixdate, relative to @p now.
std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now);
/// Seconds since the epoch of an IMF-fixdate ("Wed, 21 Oct 2026 07:28:00 GMT"), as in `date`
/// and Retry-After; nullopt for anything else. No allocation.
std::optional<double> parse_http_date(std::string_view value);
/// Go-style durations as Groq sends them: "2m59.56s", "172ms", "1h2m3s", "6s".
std::optional<milliseconds> parse_go_duration(std::string_view value);
/// Plain float seconds as Cerebras sends them: "11.382867097854614".
std::optional<milliseconds> parse_float_seconds(std::string_view value);
/// protobuf Duration text as in Gemini's RetryInfo: "26s", "34.4s", "45.837906927s".
std::optional<milliseconds> parse_proto_duration(std::string_view value);
/// A wait embedded in an error message: "Please try again in 11.455s." (Groq),
/// "Please retry in 36.429760048s." (Gemini).
std::optional<milliseconds> hint_in_message(std::string_view message);

/// The retry hint carried by response headers, in precedence order: retry-after-ms,
/// retry-after, then the x-ratelimit-reset-* of an exhausted bucket (remaining 0).
std::optional<milliseconds> hint_from_headers(const HttpResponse& response);

}  // namespace polyrouter::detail
