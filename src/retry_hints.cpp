#include "retry_hints.hpp"

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <string>

namespace polyrouter::detail {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// Parses a non-negative decimal number at the front of @p s; advances @p s past it.
std::optional<double> take_number(std::string_view& s) {
  std::size_t i = 0;
  bool digits = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, digits = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, digits = true;
  }
  if (!digits) return std::nullopt;
  const std::string text(s.substr(0, i));
  s.remove_prefix(i);
  return std::strtod(text.c_str(), nullptr);
}

std::optional<milliseconds> from_seconds(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e9) return std::nullopt;
  // The epsilon absorbs binary rounding: "2.007s" must be 2007 ms, not 2008.
  return milliseconds(static_cast<long long>(std::ceil(seconds * 1000.0 - 1e-6)));
}

}  // namespace

std::optional<milliseconds> parse_float_seconds(std::string_view value) {
  value = trim(value);
  auto number = take_number(value);
  if (!number || !value.empty()) return std::nullopt;
  return from_seconds(*number);
}

std::optional<milliseconds> parse_go_duration(std::string_view value) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  double seconds = 0;
  while (!value.empty()) {
    auto number = take_number(value);
    if (!number) return std::nullopt;
    // "ms" before "m": 172ms is milliseconds, 2m is minutes.
    if (value.substr(0, 2) == "ms") {
      seconds += *number / 1000.0;
      value.remove_prefix(2);
    } else if (value.substr(0, 2) == "us" || value.substr(0, 2) == "\xC2\xB5") {
      seconds += *number / 1e6;
      value.remove_prefix(2);
    } else if (value.substr(0, 2) == "ns") {
      seconds += *number / 1e9;
      value.remove_prefix(2);
    } else if (!value.empty() && value.front() == 'h') {
      seconds += *number * 3600;
      value.remove_prefix(1);
    } else if (!value.empty() && value.front() == 'm') {
      seconds += *number * 60;
      value.remove_prefix(1);
    } else if (!value.empty() && value.front() == 's') {
      seconds += *number;
      value.remove_prefix(1);
    } else {
      return std::nullopt;
    }
  }
  return from_seconds(seconds);
}

std::optional<milliseconds> parse_proto_duration(std::string_view value) {
  value = trim(value);
  if (value.empty() || value.back() != 's') return std::nullopt;
  return parse_float_seconds(value.substr(0, value.size() - 1));
}

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (auto seconds = parse_float_seconds(value)) return seconds;
  // IMF-fixdate: "Wed, 21 Oct 2026 07:28:00 GMT".
  std::tm tm{};
  const std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  const std::time_t when = timegm(&tm);
  if (when == static_cast<std::time_t>(-1)) return std::nullopt;
  // In seconds as doubles: a far-future date does not fit a system_clock time point
  // (nanoseconds end in 2262), and the delay is capped as the numeric forms are.
  const double seconds = static_cast<double>(when) - std::chrono::duration<double>(now.time_since_epoch()).count();
  if (seconds <= 0) return milliseconds(0);
  return from_seconds(seconds);
}

std::optional<milliseconds> hint_in_message(std::string_view message) {
  for (std::string_view marker : {"try again in ", "retry in "}) {
    const auto at = message.find(marker);
    if (at == std::string_view::npos) continue;
    std::string_view rest = message.substr(at + marker.size());
    std::size_t len = 0;
    while (len < rest.size() && rest[len] != ' ' && rest[len] != ',') ++len;
    std::string_view token = rest.substr(0, len);
    if (!token.empty() && token.back() == '.') token.remove_suffix(1);
    if (auto d = parse_go_duration(token)) return d;
  }
  return std::nullopt;
}

std::optional<milliseconds> hint_from_headers(const HttpResponse& response) {
  if (auto ms = parse_float_seconds(response.header("retry-after-ms"))) {
    return milliseconds(ms->count() / 1000);  // the value was milliseconds, parsed as seconds
  }
  if (auto after = parse_retry_after(response.header("retry-after"), std::chrono::system_clock::now())) {
    return after;
  }
  // Exhausted buckets only: the reset of a bucket that still has room says nothing about a 429.
  std::optional<milliseconds> hint;
  for (const auto& [name, value] : response.headers) {
    constexpr std::string_view reset_prefix = "x-ratelimit-reset-";
    if (std::string_view(name).substr(0, reset_prefix.size()) != reset_prefix) continue;
    const std::string remaining = "x-ratelimit-remaining-" + name.substr(reset_prefix.size());
    if (trim(response.header(remaining)) != "0") continue;
    auto d = parse_go_duration(value);  // Groq: "2m59.56s"
    if (!d) d = parse_float_seconds(value);  // Cerebras: "11.38"
    if (d && (!hint || *d > *hint)) hint = d;
  }
  return hint;
}

}  // namespace polyrouter::detail
